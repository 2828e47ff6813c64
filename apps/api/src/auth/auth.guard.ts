import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Role } from '@app/platform';
import { problem } from '../http/problem';
import { PUBLIC_ROUTE, REQUIRED_ROLES } from './auth.decorators';
import { Authenticator } from './authenticator';
import type { Principal } from './principal';

/**
 * Global guard: every route needs a valid bearer token unless marked @Public(), and the roles
 * named by @Roles(). A route with neither is refused, so a forgotten decorator fails closed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const authentication = await this.authenticator.authenticate(request);
    if ('refusal' in authentication) throw authentication.refusal;
    request.principal = authentication.principal;
    const required = this.reflector.getAllAndOverride<Role[]>(REQUIRED_ROLES, targets) ?? [];
    if (!required.some((role) => request.principal!.roles.includes(role))) {
      throw problem(403, 'forbidden', 'Forbidden', 'Your role does not allow this.');
    }
    return true;
  }
}
