import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express, Response } from 'express';

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
    this.setHttpServer(createServer({ IncomingMessage: madeWith(IncomingMessage, app.request), ServerResponse: madeWith(ServerResponse, app.response) }, app));
  }

  /**
   * A Buffer a route returns is sent as it is, with the content type the route set (Express's
   * `res.send` of bytes: their length, nothing copied); Nest's own reply would write it as JSON
   * (`{"type":"Buffer","data":[…]}`). The statistics routes return the JSON bytes their answers
   * were kept as (statistics/json-body.ts), where returning the text made Express encode 90-100 KB
   * again for each reply (bench/README.md, "Computed range answers' per-answer work (thirteenth
   * session)"). Everything else goes Nest's way.
   */
  override reply(response: Response, body: unknown, statusCode?: number): unknown {
    if (!Buffer.isBuffer(body)) return super.reply(response, body, statusCode);
    if (statusCode) response.status(statusCode);
    return response.send(body);
  }
}

/**
 * The constructor `base` (IncomingMessage, ServerResponse), its instances made with `prototype`.
 * Node's IncomingMessage and ServerResponse are plain functions, called here on the instance `new`
 * made: built instead with Reflect.construct and this function as new.target, a request's objects
 * survived the scavenges as before (measured with a plain Node.js server). So made, a response's
 * properties are in dictionary mode (OutgoingMessage's symbol-keyed fields beyond what this
 * function's map holds), each property it gains a copy of the dictionary; Reflect.construct
 * keeps them fast, and in the bench the service then allocated 13 KiB more a dossier read and a
 * scavenge kept three times as much (bench/README.md, "Dossier reads' per-request work, continued
 * (fifteenth session)"). The spec fails if they stop being callable.
 */
function madeWith<C extends typeof IncomingMessage | typeof ServerResponse>(base: C, prototype: object): C {
  function Made(this: object, ...args: unknown[]): void {
    Reflect.apply(base, this, args);
  }
  Made.prototype = prototype;
  return Made as unknown as C;
}
