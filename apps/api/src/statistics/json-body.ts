import type { Response } from 'express';
import { answerJson } from '@app/read-models';

/**
 * The answer as JSON, as Express's `res.json` writes it (`JSON.stringify`, no replacer or spaces;
 * `Content-Type: application/json; charset=utf-8`). An answer the reader's cache gave has its JSON
 * written already (statistics-cache.ts writes it once, when it keeps the answer, as UTF-8 bytes):
 * those bytes are sent as they are (the adapter's `reply` sends a Buffer unchanged: express-adapter.ts).
 * A kept flows answer of 48 months is about 90 KB of JSON: each request for it wrote it again
 * before (bench/README.md, "The query scenario's tails"), and each computed answer's text was
 * encoded into bytes twice, once for the cache and once by Express for the reply ("Computed
 * range answers' per-answer work (thirteenth session)").
 */
export function jsonBody(response: Response, view: object): string | Buffer {
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  return answerJson(view) ?? JSON.stringify(view);
}
