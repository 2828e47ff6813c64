import type { FoldsWhileFlushing, Projection, RebuildContext, RebuildWriter } from '@app/projection-engine';

/**
 * The projection with its one-pass writer's flushes counted (`onFlush` runs after each, inside
 * the flush's transaction, after it wrote), for specs that must see the engine take the one-pass
 * path or stop it between flushes; `within` may hand the writer a context of its own for a flush
 * (to act while it writes). A writer that folds on while it flushes (FoldsWhileFlushing) still does.
 */
export function countedFlushes(
  projection: Projection,
  onFlush: (flushes: number) => void = () => undefined,
  within: (context: RebuildContext) => RebuildContext = (context) => context,
): { projection: Projection; flushes: () => number } {
  let flushes = 0;
  const counted = (held: Pick<RebuildWriter, 'flush'>): Pick<RebuildWriter, 'flush'> => ({
    flush: async (context) => {
      await held.flush(within(context));
      onFlush(++flushes);
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
          fold: (events, context) => writer.fold(events, context),
          get size() {
            return writer.size;
          },
          ...counted(writer),
          ...(takeHeld ? { takeHeld: () => counted(takeHeld()) } : {}),
        } satisfies RebuildWriter & Partial<FoldsWhileFlushing>;
      },
    },
    flushes: () => flushes,
  };
}
