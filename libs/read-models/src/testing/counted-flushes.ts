import type { Projection, RebuildContext, RebuildWriter } from '@app/projection-engine';

/**
 * The projection with its one-pass writer's flushes counted (`onFlush` runs after each, inside
 * the flush's transaction, after it wrote), for specs that must see the engine take the one-pass
 * path or stop it between flushes; `within` may hand the writer a context of its own for a flush
 * (to act while it writes).
 */
export function countedFlushes(
  projection: Projection,
  onFlush: (flushes: number) => void = () => undefined,
  within: (context: RebuildContext) => RebuildContext = (context) => context,
): { projection: Projection; flushes: () => number } {
  let flushes = 0;
  return {
    projection: {
      ...projection,
      rebuildWriter: () => {
        const writer = projection.rebuildWriter!();
        return {
          fold: (events, context) => writer.fold(events, context),
          get size() {
            return writer.size;
          },
          flush: async (context) => {
            await writer.flush(within(context));
            onFlush(++flushes);
          },
        } satisfies RebuildWriter;
      },
    },
    flushes: () => flushes,
  };
}
