import type { Response } from 'express';

/** Answers written once: asked again, their text is kept. */
const written = new WeakSet<object>();
/** The JSON text of each answer asked more than once, by the answer (the reader keeps answers, statistics-cache.ts: asked again, an answer is the same object). */
const texts = new WeakMap<object, string>();

/**
 * The answer as JSON, as Express's `res.json` writes it (`JSON.stringify`, no replacer or spaces;
 * `Content-Type: application/json; charset=utf-8`). The text of an answer asked a second time is
 * kept beside it and sent as it is from then on: a kept flows answer of 48 months is about 90 KB
 * of JSON, and each request for it wrote it again (bench/README.md, "The query scenario's tails").
 * Not at the first ask: most answers are asked once, and the text of each would be held (and
 * copied by the collector) for as long as the reader keeps the answer, for nothing. The text goes
 * with the answer when the reader drops it; a kept answer is never changed once answered, so its
 * text cannot go stale.
 */
export function jsonText(response: Response, view: object): string {
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  const kept = texts.get(view);
  if (kept !== undefined) return kept;
  const text = JSON.stringify(view);
  if (written.has(view)) texts.set(view, text);
  else written.add(view);
  return text;
}
