/**
 * Pure mappings between the port and EventStoreDB, exported for the adapter's unit specs:
 * stream versions and revisions, expected versions, log positions, recorded events, and client
 * errors as the port's errors. Neither the store nor its subscription decides any of these.
 */
import {
  ANY,
  CancelledError,
  DeadlineExceededError,
  NO_STREAM,
  NotLeaderError,
  START,
  STREAM_EXISTS,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
  convertToCommandError,
  isCommandError,
  type AppendExpectedRevision,
  type CurrentRevision,
  type Position as EsdbPosition,
  type ReadPosition,
} from '@eventstore/db-client';
import {
  EventStoreUnavailableError,
  START_OF_LOG,
  WrongExpectedVersionError,
  comparePositions,
  type ExpectedVersion,
  type JsonObject,
  type LogPosition,
  type RecordedEvent,
} from '../event-store.port';

/** gRPC status codes met here (the client's errors carry the code of the status they came from). */
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_DEADLINE_EXCEEDED = 4;
export const GRPC_ABORTED = 10;
/** What servers before 22.6 put in positions they do not know. */
const UNKNOWN_POSITION_PART = 2n ** 64n - 1n;


/** Port version (1-based, count of events) of the event at an ESDB revision (0-based). */
export function revisionToVersion(revision: bigint): number {
  return Number(revision) + 1;
}

/** ESDB revision (0-based) of the event at a port version (1-based). */
export function versionToRevision(version: number): bigint {
  if (!Number.isSafeInteger(version) || version < 1) throw new RangeError(`Invalid stream version ${version}`);
  return BigInt(version - 1);
}

/** Version of a stream whose current revision the server reports ('no_stream': no events). */
export function currentRevisionToVersion(current: CurrentRevision): number {
  return current === NO_STREAM ? 0 : revisionToVersion(current);
}

export function toExpectedRevision(expected: ExpectedVersion): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      if (!Number.isSafeInteger(expected) || expected < 0) {
        throw new RangeError(`Invalid expected version ${String(expected)}`);
      }
      return expected === 0 ? NO_STREAM : versionToRevision(expected);
  }
}

/** Inverse of toExpectedRevision, for errors that reach us without the caller's expectation. */
export function fromExpectedRevision(expected: AppendExpectedRevision): ExpectedVersion {
  switch (expected) {
    case ANY:
      return 'any';
    case NO_STREAM:
      return 'no_stream';
    case STREAM_EXISTS:
      return 'stream_exists';
    default:
      return revisionToVersion(expected);
  }
}

export function toEsdbPosition(position: LogPosition): EsdbPosition {
  return { commit: position.commit, prepare: position.prepare };
}

/** undefined when the server did not know the position. */
export function fromEsdbPosition(position: EsdbPosition | undefined): LogPosition | undefined {
  if (!position) return undefined;
  if (position.commit === UNKNOWN_POSITION_PART || position.prepare === UNKNOWN_POSITION_PART) return undefined;
  if (position.commit < 0n || position.prepare < 0n) return undefined;
  return { commit: position.commit, prepare: position.prepare };
}

export function isStartOfLog(position: LogPosition): boolean {
  return comparePositions(position, START_OF_LOG) === 0;
}

/** The port's exclusive `after` as an ESDB starting point (START when there is none). */
export function toReadPosition(after: LogPosition | undefined): ReadPosition {
  return after === undefined || isStartOfLog(after) ? START : toEsdbPosition(after);
}

export function isSystemEvent(streamId: string, type: string): boolean {
  return streamId.startsWith('$') || type.startsWith('$');
}

export function matchesPrefixes(streamId: string, prefixes: readonly string[] | undefined): boolean {
  return !prefixes || prefixes.length === 0 || prefixes.some((prefix) => streamId.startsWith(prefix));
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

/** The node answered that the write was not done in time: it may still land, so it is sent again with the same ids. */
export function isUnconfirmedWrite(error: unknown): boolean {
  if (error instanceof DeadlineExceededError || error instanceof TimeoutError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === GRPC_DEADLINE_EXCEEDED || code === GRPC_ABORTED;
}

/** What 24.2+ nodes answer for a read of $all from a position where no record starts. */
function isRefusedPosition(error: Error): boolean {
  return (error as { code?: unknown }).code === GRPC_INVALID_ARGUMENT && /invalid position/i.test(error.message);
}

export interface AppendContext {
  readonly streamId: string;
  readonly expected: ExpectedVersion;
}

/**
 * The one place where client errors become port errors. Conflicts become the port's
 * WrongExpectedVersionError, failures to reach a (leader) node EventStoreUnavailableError;
 * anything else is returned unchanged for the caller to rethrow.
 */
export function mapEventStoreDbError(error: unknown, context?: AppendContext): unknown {
  if (!(error instanceof Error)) return error;
  if (error instanceof WrongExpectedVersionError || error instanceof EventStoreUnavailableError) return error;
  // Some paths (e.g. the server-features probe before an append) reject with raw gRPC errors.
  const converted = isCommandError(error) ? error : convertToCommandError(error);

  if (converted instanceof EsdbWrongExpectedVersionError) {
    const actual = converted.actualVersion === undefined ? undefined : currentRevisionToVersion(converted.actualVersion);
    const expected =
      context?.expected ?? (converted.expectedVersion === undefined ? 'any' : fromExpectedRevision(converted.expectedVersion));
    return new WrongExpectedVersionError(context?.streamId ?? converted.streamName, expected, actual);
  }
  if (
    converted instanceof UnavailableError ||
    converted instanceof DeadlineExceededError ||
    converted instanceof NotLeaderError ||
    converted instanceof CancelledError ||
    converted instanceof TimeoutError
  ) {
    return new EventStoreUnavailableError(`EventStoreDB unavailable: ${converted.message}`, error);
  }
  if (isRefusedPosition(converted)) {
    return new RangeError(`EventStoreDB refused a position where no event starts (one it never gave: a checkpoint from another store?): ${converted.message}`);
  }
  const code = (error as { code?: unknown }).code;
  if ((typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) || /Failed to discover after \d+ attempts/.test(error.message)) {
    return new EventStoreUnavailableError(`EventStoreDB unavailable: ${error.message}`, error);
  }
  return converted;
}

/** The fields of a client RecordedEvent this adapter uses (JSON and binary events alike). */
interface EsdbRecordedEvent {
  readonly streamId: string;
  readonly id: string;
  readonly revision: bigint;
  readonly type: string;
  readonly created: Date;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly position?: EsdbPosition;
}

function toJsonObject(value: unknown): JsonObject {
  if (value === undefined || value === null) return {};
  if (value instanceof Uint8Array) {
    if (value.length === 0) return {};
    const text = Buffer.from(value).toString('utf8');
    try {
      return toJsonObject(JSON.parse(text));
    } catch {
      return { value: Buffer.from(value).toString('base64') };
    }
  }
  if (typeof value === 'object' && !Array.isArray(value)) return value as JsonObject;
  return { value };
}

function positionOrStart(position: EsdbPosition | undefined): LogPosition {
  return fromEsdbPosition(position) ?? START_OF_LOG;
}

export function toRecordedEvent(event: EsdbRecordedEvent): RecordedEvent {
  return {
    id: event.id,
    streamId: event.streamId,
    version: revisionToVersion(event.revision),
    type: event.type,
    data: toJsonObject(event.data),
    metadata: toJsonObject(event.metadata),
    position: positionOrStart(event.position),
    createdAt: event.created,
  };
}
