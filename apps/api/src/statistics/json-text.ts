import type { Response } from 'express';

/** Each answer's JSON text, by the answer: the reader keeps answers (statistics-cache.ts), so a kept one is asked again as the same object. */
const texts = new WeakMap<object, string>();

/**
 * The answer as JSON, as Express's `res.json` writes it (`JSON.stringify`, no replacer or
 * spaces; `Content-Type: application/json; charset=utf-8`), written once per answer: a kept
 * flows answer of 48 months is about 90 KB of JSON, and each request for it wrote it again
 * (bench/README.md, "The query scenario's tails"). The text goes with the answer when the reader
 * drops it. Kept answers are never changed once answered, so their text cannot go stale.
 */
export function jsonText(response: Response, view: object): string {
  let text = texts.get(view);
  if (text === undefined) {
    text = JSON.stringify(view);
    texts.set(view, text);
  }
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  return text;
}
