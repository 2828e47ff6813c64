import type { Response } from 'express';
import { answerText } from '@app/read-models';

/**
 * The answer as JSON, as Express's `res.json` writes it (`JSON.stringify`, no replacer or spaces;
 * `Content-Type: application/json; charset=utf-8`). An answer the reader's cache gave has its text
 * written already (statistics-cache.ts writes it once, when it keeps the answer as its JSON): that
 * text is sent as it is. A kept flows answer of 48 months is about 90 KB of JSON, and each request
 * for it wrote it again before (bench/README.md, "The query scenario's tails").
 */
export function jsonText(response: Response, view: object): string {
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  return answerText(view) ?? JSON.stringify(view);
}
