import type { FoldsWhileFlushing, Projection, RebuildContext, RebuildWriter } from '@app/projection-engine';

/** What a spec may watch of a one-pass writer besides its flushes' ends. */
export interface WriterWatch {
  /** A flush begins: the writer hands over what it holds (FoldsWhileFlushing.takeHeld), or its flush is called. */
  begun?(): void;
  /** A flush begun has ended, written or failed. */
  ended?(): void;
  /** The writer is handed a batch to fold. */
  folding?(): void;
}

/**
 * The projection with its one-pass writer's flushes counted (`onFlush` runs after each, inside
 * the flush's transaction, after it wrote), for specs that must see the engine take the one-pass
 * path or stop it between flushes; `within` may hand the writer a context of its own for a flush
 * (to act while it writes); `watch` sees flushes begin and end and batches folded. A writer that
 * folds on while it flushes (FoldsWhileFlushing) still does.
 */
export function countedFlushes(
  projection: Projection,
  onFlush: (flushes: number) => void = () => undefined,
  within: (context: RebuildContext) => RebuildContext = (context) => context,
  watch: WriterWatch = {},
): { projection: Projection; flushes: () => number } {
  let flushes = 0;
  const counted = (held: Pick<RebuildWriter, 'flush'>): Pick<RebuildWriter, 'flush'> => ({
    flush: async (context) => {
      try {
        await held.flush(within(context));
        onFlush(++flushes);
      } finally {
        watch.ended?.();
      }
    },
  });
  return {
    projection: {
      ...projection,
      rebuildWriter: () => {
        const writer = projection.rebuildWriter!() as RebuildWriter & Partial<FoldsWhileFlushing>;
        const takeHeld = writer.takeHeld?.bind(writer);
        return {
          readAhead: writer.readAhead && ((events, context) => writer.readAhead!(events, context)),
          fold: (events, context) => {
            watch.folding?.();
            return writer.fold(events, context);
          },
          get size() {
            return writer.size;
          },
          flush: (context) => {
            watch.begun?.();
            return counted(writer).flush(context);
          },
          ...(takeHeld
            ? {
                takeHeld: () => {
                  watch.begun?.();
                  return counted(takeHeld());
                },
              }
            : {}),
        } satisfies RebuildWriter & Partial<FoldsWhileFlushing>;
      },
    },
    flushes: () => flushes,
  };
}
