import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Controller, Get, Module, Query, Req, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Express, Request } from 'express';
import request from 'supertest';
import { ExpressAdapterOwnPrototypes } from './express-adapter';

@Controller('greeting')
class GreetingController {
  @Get()
  greet(@Query('name') name: string, @Req() req: Request) {
    return { greeting: `hello ${name}`, path: req.path, accepts: req.accepts('json') };
  }
}

@Module({ controllers: [GreetingController] })
class GreetingModule {}

describe("the HTTP server's requests and responses made with Express's prototypes", () => {
  let app: INestApplication;
  let express: Express;
  const prototypes: Array<{ request: unknown; response: unknown }> = [];

  beforeAll(async () => {
    app = await NestFactory.create(GreetingModule, new ExpressAdapterOwnPrototypes(), { logger: false });
    await app.init();
    express = app.getHttpAdapter().getInstance() as Express;
    // Before Express sees them: what the server made.
    (app.getHttpServer() as Server).prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      prototypes.push({ request: Object.getPrototypeOf(req), response: Object.getPrototypeOf(res) });
    });
  });
  afterAll(() => app.close());

  it("has them from the start, so that Express's Object.setPrototypeOf on each request changes nothing", async () => {
    const agent = request.agent(app.getHttpServer());
    await agent.get('/greeting?name=olena').expect(200);
    await agent.get('/greeting?name=taras').expect(200);
    expect(prototypes).toHaveLength(2);
    for (const made of prototypes) expect(made).toEqual({ request: express.request, response: express.response });
  });

  it("answers as Express does, its request and response methods at hand", async () => {
    const answer = await request(app.getHttpServer()).get('/greeting?name=olena').set('Accept', 'application/json').expect(200);
    expect(answer.body).toEqual({ greeting: 'hello olena', path: '/greeting', accepts: 'json' });
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
  });
});
