import { RequestMethod, type INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';

/** A route of the running application, as its controller's decorators declare it. */
export interface DeclaredRoute {
  /** `Controller.handler`, for messages. */
  readonly name: string;
  readonly method: RequestMethod;
  /** The Express path, e.g. `/dossiers/:id/history`. */
  readonly path: string;
  /** The handler and its controller class, whose metadata the route decorators set. */
  readonly handler: object;
  readonly controller: object;
}

const joined = (...parts: unknown[]) =>
  `/${parts
    .map((part) => String(part ?? '').replace(/^\/+|\/+$/g, ''))
    .filter((part) => part !== '')
    .join('/')}`;

/** Every route of every controller the application's modules hold: what specs over all routes sweep. */
export function declaredRoutes(app: INestApplication): DeclaredRoute[] {
  const routes: DeclaredRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      const controller = metatype as unknown as { name: string; prototype: Record<string, unknown> };
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = controller.prototype[name];
        if (typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const path = joined(Reflect.getMetadata(PATH_METADATA, controller), Reflect.getMetadata(PATH_METADATA, handler));
        routes.push({ name: `${controller.name}.${name}`, method, path, handler, controller });
      }
    }
  }
  return routes;
}
