import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Controller, Get, Module, Query, Req, Res, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Express, Request, Response } from 'express';
import request from 'supertest';
import { ExpressAdapterOwnPrototypes } from './express-adapter';

@Controller('greeting')
class GreetingController {
  @Get()
  greet(@Query('name') name: string, @Req() req: Request) {
    return { greeting: `hello ${name}`, path: req.path, accepts: req.accepts('json') };
  }
}

/** The same JSON returned as its text and as its UTF-8 bytes (as the statistics routes return a kept answer's: statistics/json-body.ts). */
const GREETING_JSON = JSON.stringify({ greeting: 'hello Liège € 𝄞', periods: [{ value: 1, suppressed: false }] });

@Controller('json')
class JsonController {
  @Get('text')
  text(@Res({ passthrough: true }) response: Response) {
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    return GREETING_JSON;
  }

  @Get('bytes')
  bytes(@Res({ passthrough: true }) response: Response) {
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    return Buffer.from(GREETING_JSON, 'utf8');
  }
}

@Module({ controllers: [GreetingController, JsonController] })
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

  it('sends the bytes a route returns as they are, as it sent their text: the same body and headers', async () => {
    const [text, bytes] = [await request(app.getHttpServer()).get('/json/text').buffer(true), await request(app.getHttpServer()).get('/json/bytes').buffer(true)];
    for (const answer of [text, bytes]) expect(answer.status).toBe(200);
    expect(Buffer.from(bytes.text, 'utf8').equals(Buffer.from(GREETING_JSON, 'utf8'))).toBe(true);
    expect(bytes.text).toBe(text.text);
    const sent = ({ headers }: { headers: Record<string, string> }) => ({ type: headers['content-type'], length: headers['content-length'], encoding: headers['transfer-encoding'] });
    expect(sent(bytes)).toEqual(sent(text));
    expect(sent(bytes)).toEqual({ type: 'application/json; charset=utf-8', length: String(Buffer.byteLength(GREETING_JSON)), encoding: undefined });
  });
});
