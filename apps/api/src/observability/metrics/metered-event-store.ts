import {
  DuplicateEventIdError,
  EventStoreUnavailableError,
  WrongExpectedVersionError,
  type AppendResult,
  type EventStore,
} from '@app/event-store';
import type { Metrics } from './metrics';

const kindOf = (error: unknown): string =>
  error instanceof EventStoreUnavailableError
    ? 'unavailable'
    : error instanceof WrongExpectedVersionError
      ? 'wrong-expected-version'
      : error instanceof DuplicateEventIdError
        ? 'duplicate-event-id'
        : 'other';

/** The event store with appends and failures counted; everything else passes through. */
export function meteredEventStore(store: EventStore, metrics: Metrics): EventStore {
  const counted = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      metrics.eventStoreErrors.inc({ operation, kind: kindOf(error) });
      throw error;
    }
  };
  const timed = async (events: readonly unknown[], append: () => Promise<AppendResult>): Promise<AppendResult> =>
    counted('append', async () => {
      const stop = metrics.appendDuration.startTimer();
      const result = await append();
      stop();
      metrics.appendedEvents.inc(events.length);
      return result;
    });
  return {
    append: (streamId, events, expected) => timed(events, () => store.append(streamId, events, expected)),
    ...(store.appendWith && {
      appendWith: (streamId, events, expected, statement) => timed(events, () => store.appendWith!(streamId, events, expected, statement)),
    }),
    readStream: (streamId, options) => counted('read-stream', () => store.readStream(streamId, options)),
    ...(store.readStreamWith && {
      readStreamWith: (streamId, statement, alongside) => counted('read-stream', () => store.readStreamWith!(streamId, statement, alongside)),
    }),
    readAll: (options) => counted('read-all', () => store.readAll(options)),
    countAll: (options) => counted('count-all', () => store.countAll(options)),
    subscribeToAll: (options) =>
      store.subscribeToAll({
        ...options,
        onError: (error) => {
          metrics.eventStoreErrors.inc({ operation: 'subscribe', kind: kindOf(error) });
          options.onError?.(error);
        },
      }),
    headPosition: () => counted('head-position', () => store.headPosition()),
    ping: () => counted('ping', () => store.ping()),
    close: () => store.close(),
  };
}
