import type { EventStore } from '@app/event-store';
import type { BenchDossier } from './dataset';

export interface EsdbLoadResult {
  readonly dossiers: number;
  readonly events: number;
  readonly milliseconds: number;
}

/**
 * Appends generated dossiers through the service's own EventStoreDB adapter, one append per
 * stream (the reservation, then the dossier), `concurrency` dossiers at a time, until
 * `untilEvents` events are in or the source runs dry.
 */
export async function loadThroughStore(
  store: EventStore,
  next: () => BenchDossier | undefined,
  options: { untilEvents: number; concurrency: number; onProgress?: (events: number) => void },
): Promise<EsdbLoadResult> {
  const started = Date.now();
  let events = 0;
  let dossiers = 0;
  let exhausted = false;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (!exhausted && events < options.untilEvents) {
        const dossier = next();
        if (!dossier) {
          exhausted = true;
          return;
        }
        dossiers++;
        events += dossier.rows.length;
        const streams = new Map<string, typeof dossier.rows>();
        for (const row of dossier.rows) streams.set(row.streamId, [...(streams.get(row.streamId) ?? []), row]);
        for (const [streamId, rows] of streams) {
          await store.append(
            streamId,
            rows.map((row) => ({ id: row.eventId, type: row.type, data: row.data, metadata: row.metadata })),
            'no_stream',
          );
        }
        if (dossiers % 2000 === 0) options.onProgress?.(events);
      }
    }),
  );
  return { dossiers, events, milliseconds: Date.now() - started };
}
