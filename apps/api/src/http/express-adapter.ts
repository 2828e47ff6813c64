import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express } from 'express';

/**
 * Nest's Express adapter, its HTTP server making each request and response with Express's own
 * prototypes (`app.request`, `app.response`) from the start. Express gives them those prototypes
 * on every request (`Object.setPrototypeOf` in `app.handle`), and that change of an object's
 * prototype kept whatever a request had allocated alive through V8's young-generation
 * collections: a plain Node.js server doing the same to its `req` and `res` kept 1 to 2 MB
 * across each scavenge where it kept 440 bytes without, and the service promoted 1.5 to 2.5 MB a
 * scavenge, the objects of some hundred answered requests, into the old generation, where only a
 * mark-compact freed them (bench/README.md, "Dossier reads' collections"). Made with the
 * prototype Express then sets, the object keeps its map and nothing survives but the request in
 * flight. Without TLS only: the service is served over plain HTTP (behind a proxy when public);
 * Nest's own server otherwise.
 */
export class ExpressAdapterOwnPrototypes extends ExpressAdapter {
  override initHttpServer(options: NestApplicationOptions): void {
    if (options?.httpsOptions || options?.forceCloseConnections) return super.initHttpServer(options);
    const app = this.getInstance<Express>();
    this.setHttpServer(createServer({ IncomingMessage: requestsOf(app), ServerResponse: responsesOf(app) }, app));
  }
}

/** IncomingMessage, its instances made with the app's request prototype. */
function requestsOf(app: Express): typeof IncomingMessage {
  function AppRequest(this: IncomingMessage, socket: Socket): void {
    Reflect.apply(IncomingMessage, this, [socket]);
  }
  AppRequest.prototype = app.request;
  return AppRequest as unknown as typeof IncomingMessage;
}

/** ServerResponse, its instances made with the app's response prototype. */
function responsesOf(app: Express): typeof ServerResponse {
  function AppResponse(this: ServerResponse, request: IncomingMessage, options?: unknown): void {
    Reflect.apply(ServerResponse, this, [request, options]);
  }
  AppResponse.prototype = app.response;
  return AppResponse as unknown as typeof ServerResponse;
}
