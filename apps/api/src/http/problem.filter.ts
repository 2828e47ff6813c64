import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem';

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    sendProblem(context.getRequest<Request>(), context.getResponse<Response>(), exception, this.logger);
  }
}

export function sendProblem(request: Request, response: Response, exception: unknown, logger: Logger): void {
  const body = toProblem(exception);
  if (body.status >= 500) {
    // The error's own message can quote request data; log its class and stack frames, not its text.
    const error = exception instanceof Error ? exception : new Error('non-error thrown');
    logger.error(`${request.method} ${request.route?.path ?? 'unmatched route'} failed with ${error.name}`, error.stack?.split('\n').slice(1).join('\n'));
  }
  if (response.headersSent) return;
  if (body.status === 401) response.setHeader('WWW-Authenticate', 'Bearer');
  response.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify({ ...body, instance: request.originalUrl.split('?')[0] }));
}
