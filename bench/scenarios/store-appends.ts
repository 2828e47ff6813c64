import { randomUUID } from 'node:crypto';
import type { EventStore, JsonObject, RecordedEvent } from '@app/event-store';
import { perSecond, round, summariseLatencies } from '../stats';
import type { CeilingResult } from './ceilings';

/**
 * The store alone, in process, no HTTP: the events the command scenario wrote, appended again
 * through the store's `append`, each after reading its stream and at the version read (what a
 * command asks of the store), by `concurrency` writers at once. A writer takes a whole stream and
 * appends its events one by one, as a dossier is in one connection's hands in the command
 * scenario, so nothing conflicts. Streams are renamed under `prefix`; events get new ids. Figures
 * as a ceiling's: appends, time, latency of each read-then-append.
 */
export async function storeAppends(store: EventStore, events: readonly RecordedEvent[], concurrency: number, prefix: string): Promise<CeilingResult> {
  const streams = new Map<string, RecordedEvent[]>();
  for (const event of events) {
    const stream = `${prefix}${event.streamId}`;
    const list = streams.get(stream);
    if (list) list.push(event);
    else streams.set(stream, [event]);
  }
  const queue = [...streams.entries()];
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let entry = queue.shift(); entry; entry = queue.shift()) {
        const [stream, list] = entry;
        for (const event of list) {
          const begun = performance.now();
          const current = await store.readStream(stream);
          await store.append(
            stream,
            [{ id: randomUUID(), type: event.type, data: event.data as JsonObject, metadata: event.metadata as JsonObject }],
            current.length === 0 ? 'no_stream' : current.length,
          );
          latencies.push(performance.now() - begun);
        }
      }
    }),
  );
  const milliseconds = performance.now() - started;
  return {
    rows: events.length,
    milliseconds: round(milliseconds),
    rowsPerSecond: round(perSecond(events.length, milliseconds), 1),
    latency: summariseLatencies(latencies),
  };
}
