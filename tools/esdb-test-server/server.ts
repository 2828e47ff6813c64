/**
 * gRPC handlers of the EventStoreDB test server: `Streams` (Read, Append, BatchAppend) and
 * `ServerFeatures`, on the service definitions and message classes generated into
 * `@eventstore/db-client/generated`. Everything else (Delete, Tombstone, Gossip, Operations,
 * Users, Projections, PersistentSubscriptions, ...) answers UNIMPLEMENTED.
 *
 * Semantics follow KurrentDB 26.0 (the LTS the docker-compose file runs); the source files each
 * behaviour was checked against are named in docs/esdb-test-server.md.
 */
import * as grpc from '@grpc/grpc-js';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import { Empty as GoogleEmpty } from 'google-protobuf/google/protobuf/empty_pb';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { SupportedMethod, SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import * as shared from '@eventstore/db-client/generated/shared_pb';
import { Status } from '@eventstore/db-client/generated/status_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { AppendReq, AppendResp, BatchAppendReq, BatchAppendResp, ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import {
  EPOCH_INFORMATION_STREAM,
  comparePos,
  type AppendOutcome,
  type Expected,
  type InMemoryLog,
  type LogPos,
  type ProposedEvent,
  type StoredEvent,
} from './log';
import {
  CatchUpSubscription,
  type EventFilter,
  type SubscriptionOutput,
  type SubscriptionSettings,
  type SubscriptionSource,
} from './subscription';

export interface StreamsServiceOptions extends SubscriptionSettings {
  /**
   * Advertise and serve `Streams.BatchAppend` (EventStoreDB 21.10 and later do, and the client
   * then appends through it). When false, the client falls back to `Streams.Append`, as it
   * does against older servers.
   */
  readonly batchAppend: boolean;
  /**
   * What a successful idempotent retry reports as position: 'original' (the position of the
   * last event of the earlier append, as recent servers do) or 'none' (no position, as older
   * servers did).
   */
  readonly idempotentPosition: 'original' | 'none';
  /** Largest append accepted, in bytes as the node counts them (data, metadata, twice the type's length). */
  readonly maxAppendSize: number;
  /** Version reported by ServerFeatures. */
  readonly serverVersion: string;
  /** How long a write may take before it is answered with a timeout (the node's PrepareTimeoutMs / CommitTimeoutMs / WriteTimeoutMs). */
  readonly writeTimeoutMs: number;
  /** How long each write takes, read at every write (tests slow a running server down). */
  readonly writeDelayMs: () => number;
  /** Where each subscription to $all started, in order (for tests: whether a subscriber resumed where it should). */
  readonly subscriptionStarts: Array<SubscriptionStart>;
}

export type SubscriptionStart = LogPos | 'start' | 'end';

const MAX_SEARCH_WINDOW = 32;
const FULL_NAME_PREFIX = 'type.googleapis.com/';
const JSON_CONTENT_TYPE = 'application/json';

// ---------------------------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------------------------

function streamNameOf(identifier: shared.StreamIdentifier | undefined): string {
  if (!identifier) throw invalidArgument('stream identifier missing');
  return Buffer.from(identifier.getStreamName_asU8()).toString('utf8');
}

function streamIdentifier(name: string): shared.StreamIdentifier {
  const identifier = new shared.StreamIdentifier();
  identifier.setStreamName(Uint8Array.from(Buffer.from(name, 'utf8')));
  return identifier;
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function parseUuid(uuid: shared.UUID | undefined): string {
  if (!uuid) throw invalidArgument('event id missing');
  if (uuid.hasStructured()) {
    const structured = uuid.getStructured() as shared.UUID.Structured;
    const most = BigInt.asUintN(64, BigInt(structured.getMostSignificantBits()));
    const least = BigInt.asUintN(64, BigInt(structured.getLeastSignificantBits()));
    const hex = most.toString(16).padStart(16, '0') + least.toString(16).padStart(16, '0');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  const text = uuid.getString().toLowerCase();
  if (!UUID_TEXT.test(text)) throw invalidArgument(`invalid event id ${uuid.getString()}`);
  return text;
}

function uuidMessage(id: string, structured: boolean): shared.UUID {
  const uuid = new shared.UUID();
  if (!structured) {
    uuid.setString(id);
    return uuid;
  }
  const hex = id.replace(/-/g, '');
  const parts = new shared.UUID.Structured();
  parts.setMostSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString());
  parts.setLeastSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)).toString());
  uuid.setStructured(parts);
  return uuid;
}

interface ProposedLike {
  getId(): shared.UUID | undefined;
  getMetadataMap(): { get(key: string): string | undefined };
  getData_asU8(): Uint8Array;
  getCustomMetadata_asU8(): Uint8Array;
}

/** As MetadataHelpers.ParseGrpcMetadata: `type` and `content-type` are required; only "is it JSON" is kept. */
function toProposedEvent(message: ProposedLike): ProposedEvent {
  const metadata = message.getMetadataMap();
  const type = metadata.get('type');
  const contentType = metadata.get('content-type');
  const missing = type === undefined ? 'type' : contentType === undefined ? 'content-type' : undefined;
  if (missing) {
    throw serviceError(grpc.status.INVALID_ARGUMENT, `Required Metadata Property '${missing}' is missing`, {
      exception: 'missing-required-metadata-property',
      'required-metadata-properties': 'type,content-type',
    });
  }
  return {
    id: parseUuid(message.getId()),
    type: type as string,
    isJson: contentType === JSON_CONTENT_TYPE,
    data: Uint8Array.from(message.getData_asU8()),
    customMetadata: Uint8Array.from(message.getCustomMetadata_asU8()),
  };
}

/** An event's size as the node counts it against MaxAppendSize (Event.SizeOnDisk: the type in UTF-16). */
function sizeOnDisk(event: ProposedEvent): number {
  return event.data.length + event.customMetadata.length + event.type.length * 2;
}

function maxAppendSizeExceeded(max: number): ServiceError {
  return serviceError(grpc.status.INVALID_ARGUMENT, `Maximum Append Size of ${max} Exceeded.`, {
    exception: 'maximum-append-size-exceeded',
    'maximum-append-size': String(max),
  });
}

function readEvent(event: StoredEvent, structuredIds: boolean): ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  recorded.setId(uuidMessage(event.id, structuredIds));
  recorded.setStreamIdentifier(streamIdentifier(event.streamName));
  recorded.setStreamRevision(event.revision.toString());
  recorded.setCommitPosition(event.position.commit.toString());
  recorded.setPreparePosition(event.position.prepare.toString());
  const metadata = recorded.getMetadataMap();
  metadata.set('type', event.type);
  metadata.set('content-type', event.isJson ? JSON_CONTENT_TYPE : 'application/octet-stream');
  metadata.set('created', event.created.toString());
  recorded.setCustomMetadata(event.customMetadata);
  recorded.setData(event.data);
  const read = new ReadResp.ReadEvent();
  read.setEvent(recorded);
  read.setCommitPosition(event.position.commit.toString());
  const response = new ReadResp();
  response.setEvent(read);
  return response;
}

function streamNotFoundResponse(name: string): ReadResp {
  const notFound = new ReadResp.StreamNotFound();
  notFound.setStreamIdentifier(streamIdentifier(name));
  const response = new ReadResp();
  response.setStreamNotFound(notFound);
  return response;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

class ServiceError extends Error implements Partial<grpc.StatusObject> {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
    readonly metadata: grpc.Metadata,
  ) {
    super(details);
  }
}

function serviceError(code: grpc.status, details: string, trailers: Record<string, string> = {}): ServiceError {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return new ServiceError(code, details, metadata);
}

function invalidArgument(details: string): ServiceError {
  return serviceError(grpc.status.INVALID_ARGUMENT, details);
}

function asServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  return serviceError(grpc.status.INTERNAL, error instanceof Error ? error.message : String(error));
}

// ---------------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------------

function parseFilter(options: ReadReq.Options): EventFilter | undefined {
  if (!options.hasFilter()) return undefined;
  const filter = options.getFilter() as ReadReq.Options.FilterOptions;
  const byStream = filter.hasStreamIdentifier();
  const expression = byStream ? filter.getStreamIdentifier() : filter.getEventType();
  if (!expression) throw invalidArgument('filter without expression');
  const prefixes = expression.getPrefixList();
  let regex: RegExp | undefined;
  if (prefixes.length === 0 && expression.getRegex() !== '') {
    // The node evaluates .NET regular expressions; JavaScript's are used here (the same for the
    // anchors, classes and alternations filters use).
    try {
      regex = new RegExp(expression.getRegex());
    } catch (error) {
      throw invalidArgument(`invalid filter regex: ${(error as Error).message}`);
    }
  }
  const valueOf = byStream ? (event: StoredEvent) => event.streamName : (event: StoredEvent) => event.type;
  const matches =
    prefixes.length > 0
      ? (event: StoredEvent) => prefixes.some((prefix) => valueOf(event).startsWith(prefix))
      : regex
        ? (event: StoredEvent) => (regex as RegExp).test(valueOf(event))
        : () => true;
  // Enumerator.AllSubscriptionFiltered: the window is `max` when given, else 32 (DefaultReadBatchSize);
  // a checkpoint every window x multiplier events considered.
  const window = filter.hasMax() && filter.getMax() > 0 ? filter.getMax() : MAX_SEARCH_WINDOW;
  const multiplier = Math.max(1, filter.getCheckpointintervalmultiplier());
  return { matches, window, checkpointInterval: window * multiplier };
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/**
 * What reads and subscriptions of $all show (EventFilter.DefaultAllFilter, applied by AllReader
 * and SubscriptionsService, and under every filter): everything but `$epoch-information` (and
 * persistent subscription checkpoints, which this server never writes).
 */
function visibleInAll(event: StoredEvent): boolean {
  return event.streamName !== EPOCH_INFORMATION_STREAM;
}

type ReadCall = grpc.ServerWritableStream<ReadReq, ReadResp>;

/**
 * Writes responses with back-pressure and notices when the call goes away (client cancelled,
 * deadline, server shutdown).
 */
class ResponseWriter implements SubscriptionOutput {
  closed = false;
  private waiters = new Set<() => void>();

  constructor(private readonly call: ReadCall) {
    const close = () => this.close();
    call.on('cancelled', close);
    call.on('error', close);
    call.on('close', close);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
    this.waiters.clear();
  }

  wait(register: (wake: () => void) => () => void): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let unregister: () => void = () => undefined;
      const wake = () => {
        this.waiters.delete(wake);
        unregister();
        resolve();
      };
      this.waiters.add(wake);
      unregister = register(wake);
    });
  }

  async write(response: ReadResp): Promise<void> {
    if (this.closed) return;
    if (!this.call.write(response)) {
      await this.wait((wake) => {
        this.call.once('drain', wake);
        return () => this.call.removeListener('drain', wake);
      });
    }
  }

  /** Ends the call with an error status, after the responses written so far. */
  fail(error: Error): void {
    if (this.closed) return;
    this.close();
    this.call.emit('error', error);
  }

  end(): void {
    if (!this.closed) this.call.end();
    this.close();
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One write at a time, in arrival order, each taking `writeDelayMs` (the node's storage writer queue). */
class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;

  constructor(private readonly delayMs: () => number) {}

  /** Runs `write` in turn, unless `cancelled` by then; resolves with its result, or undefined when skipped. */
  run<T>(write: () => T, cancelled: () => boolean): Promise<T | undefined> {
    const delay = this.delayMs();
    const perform = () => (cancelled() ? undefined : write());
    if (delay === 0 && this.queued === 0) return Promise.resolve(perform());
    this.queued++;
    const result = this.tail
      .then(() => new Promise((resolve) => setTimeout(resolve, delay)))
      .then(perform)
      .finally(() => this.queued--);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** Resolves with the write's result, or 'timeout' if it takes longer than `ms` (the write goes on). */
function withinTimeout<T>(write: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return Promise.race([write, timeout]).finally(() => clearTimeout(timer));
}

export class StreamsHandlers {
  private readonly activeCalls = new Set<ResponseWriter>();
  private readonly openBatchAppends = new Set<() => void>();
  private readonly writes: WriteQueue;

  constructor(
    private readonly log: InMemoryLog,
    private readonly options: StreamsServiceOptions,
  ) {
    this.writes = new WriteQueue(options.writeDelayMs);
  }

  /** Stops every running read, subscription and batch-append stream (the server is going down). */
  closeAll(): void {
    for (const writer of this.activeCalls) writer.close();
    this.activeCalls.clear();
    for (const close of [...this.openBatchAppends]) close();
  }

  implementation(): grpc.UntypedServiceImplementation {
    const implementation: grpc.UntypedServiceImplementation = {
      read: (call: ReadCall) => void this.read(call),
      append: (call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>) =>
        this.append(call, callback),
    };
    if (this.options.batchAppend) {
      implementation.batchAppend = (call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>) => this.batchAppend(call);
    }
    return implementation;
  }

  supportedMethods(): SupportedMethods {
    const methods = new SupportedMethods();
    const add = (service: string, method: string) => {
      const supported = new SupportedMethod();
      supported.setServiceName(service);
      supported.setMethodName(method);
      methods.addMethods(supported);
    };
    add('event_store.client.streams.streams', 'read');
    add('event_store.client.streams.streams', 'append');
    if (this.options.batchAppend) add('event_store.client.streams.streams', 'batchappend');
    add('event_store.client.server_features.serverfeatures', 'getsupportedmethods');
    methods.setEventStoreServerVersion(this.options.serverVersion);
    return methods;
  }

  // --- Read -----------------------------------------------------------------------------------

  private async read(call: ReadCall): Promise<void> {
    const writer = new ResponseWriter(call);
    this.activeCalls.add(writer);
    try {
      const options = call.request.getOptions();
      if (!options) throw invalidArgument('read without options');
      const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
      const structuredIds = options.getUuidOption()?.hasStructured() ?? false;
      const filter = parseFilter(options);
      const subscription = options.hasSubscription();
      const count = options.hasCount() ? BigInt(options.getCount()) : undefined;
      const toResponse = (event: StoredEvent) => readEvent(event, structuredIds);

      if (options.hasStream()) {
        const streamOptions = options.getStream() as ReadReq.Options.StreamOptions;
        const name = streamNameOf(streamOptions.getStreamIdentifier());
        const events = () => this.log.streamEvents(name);
        if (subscription) {
          // Catch-up starts after the given revision (exclusive), as the client documents.
          let from: number;
          if (streamOptions.hasStart()) from = 0;
          else if (streamOptions.hasEnd()) from = events().length;
          else from = Number(BigInt(streamOptions.getRevision())) + 1;
          const source: SubscriptionSource = {
            end: () => events().length,
            at: (index) => events()[index],
            visible: () => true,
            listen: (listener) => this.log.onAppend((event) => event.streamName === name && listener(event, Number(event.revision))),
          };
          await new CatchUpSubscription(source, from, undefined, undefined, writer, this.options, toResponse).run();
          return;
        }
        if (!this.log.streamExists(name)) {
          await writer.write(streamNotFoundResponse(name));
          writer.end();
          return;
        }
        const last = events().length - 1;
        let from: number;
        if (streamOptions.hasStart()) from = 0;
        else if (streamOptions.hasEnd()) from = backwards ? last : last + 1;
        else from = Number(BigInt(streamOptions.getRevision()));
        // Backwards from beyond the end starts at the last event.
        if (backwards) from = Math.min(from, last);
        await this.readRange(writer, (index) => events()[index], events().length, from, backwards, count, () => true, toResponse);
        writer.end();
        return;
      }

      if (options.hasAll()) {
        const allOptions = options.getAll() as ReadReq.Options.AllOptions;
        const position = allOptions.hasPosition() ? positionOf(allOptions.getPosition() as ReadReq.Options.Position) : undefined;
        const at = (index: number) => this.log.at(index);
        if (subscription) {
          let from: number;
          if (allOptions.hasStart()) from = 0;
          else if (allOptions.hasEnd()) from = this.log.length;
          else {
            // A subscription from a position at or past the last event goes live without reading
            // the log; from anywhere before, it reads from there (and a bad position is refused).
            const lastEvent = this.log.length > 0 ? this.log.at(this.log.length - 1).position : undefined;
            if (lastEvent && comparePos(position as LogPos, lastEvent) < 0) this.refuseUnreadable(position as LogPos, false);
            // Exclusive: a subscription from a position starts after it.
            from = this.log.firstAfter(position as LogPos);
          }
          const source: SubscriptionSource = {
            end: () => this.log.length,
            at,
            visible: visibleInAll,
            listen: (listener) => this.log.onAppend((event) => listener(event, event.logIndex)),
          };
          this.options.subscriptionStarts.push(allOptions.hasStart() ? 'start' : allOptions.hasEnd() ? 'end' : (position as LogPos));
          const start = allOptions.hasEnd() ? endPosition(this.log) : position;
          await new CatchUpSubscription(source, from, start, filter, writer, this.options, toResponse).run();
          return;
        }
        let from: number;
        if (allOptions.hasStart()) from = backwards ? -1 : 0;
        else if (allOptions.hasEnd()) from = backwards ? this.log.length - 1 : this.log.length;
        else {
          this.refuseUnreadable(position as LogPos, backwards);
          // Forwards: inclusive (the event at exactly that position comes first). Backwards: the
          // events whose records end at or before it (AllReader.ReadAllEventsBackwardInternal),
          // so from an event's position, the one before it.
          from = backwards ? this.log.lastEndingBy(position as LogPos) : this.log.firstAtOrAfter(position as LogPos);
        }
        const selects = (event: StoredEvent) => visibleInAll(event) && (!filter || filter.matches(event));
        await this.readRange(writer, at, this.log.length, from, backwards, count, selects, toResponse);
        writer.end();
        return;
      }
      throw invalidArgument('read of neither a stream nor $all');
    } catch (error) {
      writer.fail(asServiceError(error));
    } finally {
      this.activeCalls.delete(writer);
    }
  }

  /**
   * The node reads $all from the record at the commit position; where no record starts it finds
   * garbage and refuses (StorageReaderWorker: InvalidReadException -> ReadAllResult.InvalidPosition
   * -> RpcExceptions.InvalidPositionException, from 24.2 on). Past the end a forwards read is
   * simply empty, and a backwards one fails ("greater than writer checkpoint", TFChunkReader).
   */
  private refuseUnreadable(position: LogPos, backwards: boolean): void {
    const end = this.log.end;
    if (position.commit > end) {
      if (!backwards) return;
      throw serviceError(
        grpc.status.UNKNOWN,
        `Requested position ${position.commit} is greater than writer checkpoint ${end} when requesting to read previous record from TF.`,
      );
    }
    if (position.commit === end || this.log.isRecordStart(position.commit)) return;
    this.options.counters.refusedPositions++;
    throw invalidArgument('Trying to read from an invalid position.');
  }

  private async readRange(
    writer: ResponseWriter,
    at: (index: number) => StoredEvent,
    length: number,
    from: number,
    backwards: boolean,
    count: bigint | undefined,
    selects: (event: StoredEvent) => boolean,
    toResponse: (event: StoredEvent) => ReadResp,
  ): Promise<void> {
    // A read sees the log as it was when it started.
    let remaining = count ?? BigInt(Number.MAX_SAFE_INTEGER);
    let scanned = 0;
    for (let index = from; remaining > 0n && !writer.closed && index >= 0 && index < length; index += backwards ? -1 : 1) {
      const event = at(index);
      if (++scanned % 1000 === 0) await yieldToEventLoop();
      if (!selects(event)) continue;
      await writer.write(toResponse(event));
      remaining--;
    }
  }

  // --- Writing --------------------------------------------------------------------------------

  /**
   * Appends in turn, answering 'timeout' if the write does not complete within the write timeout
   * (the node's request manager answers PrepareTimeout / CommitTimeout then; the write itself is
   * not withdrawn and lands when its turn comes, unless the call was cancelled by then).
   */
  private async write(name: string, expected: Expected, events: ProposedEvent[], cancelled: () => boolean): Promise<AppendOutcome | 'timeout' | 'cancelled'> {
    const written = this.writes.run(() => this.log.append(name, expected, events), cancelled);
    const outcome = await withinTimeout(written, this.options.writeTimeoutMs);
    if (outcome === 'timeout') this.options.counters.timedOutWrites++;
    return outcome ?? 'cancelled';
  }

  // --- Append ---------------------------------------------------------------------------------

  private append(call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>): void {
    let options: AppendReq.Options | undefined;
    const events: ProposedEvent[] = [];
    let size = 0;
    let answered = false;
    let cancelled = false;
    const answer = (error: ServiceError | null, response?: AppendResp) => {
      if (answered) return;
      answered = true;
      callback(error, response);
    };
    // The call's cancellation (the client's deadline) withdraws a write not done yet; an answer given does not.
    call.on('cancelled', () => (cancelled ||= !answered));
    call.on('error', () => (answered = true));
    call.on('data', (request: AppendReq) => {
      if (answered) return;
      try {
        if (request.hasOptions()) options = request.getOptions();
        else if (request.hasProposedMessage()) {
          const event = toProposedEvent(request.getProposedMessage() as AppendReq.ProposedMessage);
          // Checked as the messages arrive (Streams.Append.cs).
          size += sizeOnDisk(event);
          if (size > this.options.maxAppendSize) throw maxAppendSizeExceeded(this.options.maxAppendSize);
          events.push(event);
        }
      } catch (error) {
        answer(asServiceError(error));
      }
    });
    call.on('end', () => {
      if (answered) return;
      void (async () => {
        if (!options) throw invalidArgument('append without options');
        const name = streamNameOf(options.getStreamIdentifier());
        const expected = appendExpected(options);
        const outcome = await this.write(name, expected, events, () => cancelled);
        if (outcome === 'cancelled') return;
        // Streams.Append.cs: a timeout is RpcExceptions.Timeout, ABORTED (the client's TimeoutError).
        if (outcome === 'timeout') answer(serviceError(grpc.status.ABORTED, 'Operation timed out: Prepare phase timeout.'));
        else answer(null, appendResponse(outcome, expected, this.options.idempotentPosition));
      })().catch((error: unknown) => answer(asServiceError(error)));
    });
  }

  // --- BatchAppend ----------------------------------------------------------------------------

  /**
   * As Streams.BatchAppend.cs: a batch (the requests of one correlation id) starts with its
   * options; its time is the smaller of the client's deadline and the write timeout: already past,
   * it is answered Timeout at once; not final by then, Timeout too. Once final it is written, and
   * answered when the write completes or times out.
   */
  private batchAppend(call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
    interface Batch {
      readonly stream: shared.StreamIdentifier;
      readonly expected: Expected;
      readonly events: ProposedEvent[];
      size: number;
      readonly timer: NodeJS.Timeout;
    }
    const pending = new Map<string, Batch>();
    let writing = 0;
    let ended = false;
    let closed = false;
    const respond = (response: BatchAppendResp) => {
      if (!closed) call.write(response);
    };
    const finish = () => {
      if (ended && writing === 0 && !closed) {
        closed = true;
        call.end();
      }
    };
    const close = () => {
      closed = true;
      for (const batch of pending.values()) clearTimeout(batch.timer);
      pending.clear();
      this.openBatchAppends.delete(close);
    };
    this.openBatchAppends.add(close);
    call.on('cancelled', close);
    call.on('error', close);
    call.on('close', close);
    call.on('data', (request: BatchAppendReq) => {
      let correlationId: string;
      try {
        correlationId = parseUuid(request.getCorrelationId());
      } catch (error) {
        call.emit('error', asServiceError(error));
        return;
      }
      const failed = (stream: shared.StreamIdentifier | undefined, error: Status) =>
        respond(batchResponse(correlationId, stream, (response) => response.setError(error)));
      if (request.hasOptions()) {
        const options = request.getOptions() as BatchAppendReq.Options;
        const stream = options.getStreamIdentifier();
        if (!stream) return failed(stream, badRequest('Required field StreamIdentifier not set.'));
        const timeoutMs = Math.min(requestedTimeoutMs(options), this.options.writeTimeoutMs);
        if (timeoutMs <= 0) {
          this.options.counters.timedOutWrites++;
          return failed(stream, timeoutStatus());
        }
        if (!pending.has(correlationId)) {
          const timer = setTimeout(() => {
            if (!pending.delete(correlationId)) return;
            this.options.counters.timedOutWrites++;
            failed(stream, timeoutStatus());
          }, timeoutMs);
          pending.set(correlationId, { stream, expected: batchExpected(options), events: [], size: 0, timer });
        }
      }
      const batch = pending.get(correlationId);
      if (!batch) return;
      try {
        for (const message of request.getProposedMessagesList()) {
          const event = toProposedEvent(message);
          batch.size += sizeOnDisk(event);
          batch.events.push(event);
        }
      } catch (error) {
        pending.delete(correlationId);
        clearTimeout(batch.timer);
        return failed(batch.stream, badRequest(asServiceError(error).details));
      }
      if (batch.size > this.options.maxAppendSize) {
        pending.delete(correlationId);
        clearTimeout(batch.timer);
        const exceeded = new shared.MaximumAppendSizeExceeded();
        exceeded.setMaxappendsize(this.options.maxAppendSize);
        return failed(batch.stream, statusOf(grpc.status.INVALID_ARGUMENT, 'MaximumAppendSizeExceeded', exceeded, 'event_store.client.MaximumAppendSizeExceeded'));
      }
      if (!request.getIsFinal()) return;
      pending.delete(correlationId);
      clearTimeout(batch.timer);
      writing++;
      void this.write(streamNameOf(batch.stream), batch.expected, batch.events, () => closed)
        .then((outcome) => {
          if (outcome !== 'cancelled') respond(batchAppendResponse(correlationId, batch.stream, batch.expected, outcome, this.options.idempotentPosition));
        })
        .finally(() => {
          writing--;
          finish();
        });
    });
    call.on('end', () => {
      ended = true;
      finish();
    });
  }
}

function positionOf(position: ReadReq.Options.Position): LogPos {
  return { commit: BigInt(position.getCommitPosition()), prepare: BigInt(position.getPreparePosition()) };
}

function endPosition(log: InMemoryLog): LogPos {
  return { commit: log.end, prepare: log.end };
}

function requestedTimeoutMs(options: BatchAppendReq.Options): number {
  const deadline = options.getDeadline();
  return deadline ? deadline.toDate().getTime() - Date.now() : Number.POSITIVE_INFINITY;
}

function appendExpected(options: AppendReq.Options): Expected {
  switch (options.getExpectedStreamRevisionCase()) {
    case AppendReq.Options.ExpectedStreamRevisionCase.REVISION:
      return { kind: 'revision', revision: BigInt(options.getRevision()) };
    case AppendReq.Options.ExpectedStreamRevisionCase.NO_STREAM:
      return { kind: 'no_stream' };
    case AppendReq.Options.ExpectedStreamRevisionCase.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    case AppendReq.Options.ExpectedStreamRevisionCase.ANY:
      return { kind: 'any' };
    default:
      throw invalidArgument('append without expected stream revision');
  }
}

function batchExpected(options: BatchAppendReq.Options): Expected {
  switch (options.getExpectedStreamPositionCase()) {
    case BatchAppendReq.Options.ExpectedStreamPositionCase.STREAM_POSITION:
      return { kind: 'revision', revision: BigInt(options.getStreamPosition()) };
    case BatchAppendReq.Options.ExpectedStreamPositionCase.NO_STREAM:
      return { kind: 'no_stream' };
    case BatchAppendReq.Options.ExpectedStreamPositionCase.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    default:
      return { kind: 'any' };
  }
}

function reportedPosition(outcome: AppendOutcome & { kind: 'success' }, idempotentPosition: 'original' | 'none'): LogPos | undefined {
  if (outcome.idempotent && idempotentPosition === 'none') return undefined;
  return outcome.position;
}

function appendResponse(outcome: AppendOutcome, expected: Expected, idempotentPosition: 'original' | 'none'): AppendResp {
  const response = new AppendResp();
  if (outcome.kind === 'wrong_expected_version') {
    const wrong = new AppendResp.WrongExpectedVersion();
    if (outcome.current === 'no_stream') wrong.setCurrentNoStream(new shared.Empty());
    else wrong.setCurrentRevision(outcome.current.toString());
    switch (expected.kind) {
      case 'revision':
        wrong.setExpectedRevision(expected.revision.toString());
        break;
      case 'no_stream':
        wrong.setExpectedNoStream(new shared.Empty());
        break;
      case 'stream_exists':
        wrong.setExpectedStreamExists(new shared.Empty());
        break;
      case 'any':
        wrong.setExpectedAny(new shared.Empty());
        break;
    }
    response.setWrongExpectedVersion(wrong);
    return response;
  }
  const success = new AppendResp.Success();
  if (outcome.current === 'no_stream') success.setNoStream(new shared.Empty());
  else success.setCurrentRevision(outcome.current.toString());
  const position = reportedPosition(outcome, idempotentPosition);
  if (position) {
    const appendPosition = new AppendResp.Position();
    appendPosition.setCommitPosition(position.commit.toString());
    appendPosition.setPreparePosition(position.prepare.toString());
    success.setPosition(appendPosition);
  } else {
    success.setNoPosition(new shared.Empty());
  }
  response.setSuccess(success);
  return response;
}

function batchResponse(correlationId: string, stream: shared.StreamIdentifier | undefined, fill: (response: BatchAppendResp) => void): BatchAppendResp {
  const response = new BatchAppendResp();
  response.setCorrelationId(uuidMessage(correlationId, false));
  if (stream) response.setStreamIdentifier(stream);
  fill(response);
  return response;
}

function batchAppendResponse(
  correlationId: string,
  stream: shared.StreamIdentifier,
  expected: Expected,
  outcome: AppendOutcome | 'timeout',
  idempotentPosition: 'original' | 'none',
): BatchAppendResp {
  return batchResponse(correlationId, stream, (response) => {
    if (outcome === 'timeout') {
      response.setError(timeoutStatus());
      return;
    }
    if (outcome.kind === 'wrong_expected_version') {
      response.setError(wrongExpectedVersionStatus(outcome.current, expected));
      return;
    }
    const success = new BatchAppendResp.Success();
    if (outcome.current === 'no_stream') success.setNoStream(new GoogleEmpty());
    else success.setCurrentRevision(outcome.current.toString());
    const position = reportedPosition(outcome, idempotentPosition);
    if (position) {
      const all = new shared.AllStreamPosition();
      all.setCommitPosition(position.commit.toString());
      all.setPreparePosition(position.prepare.toString());
      success.setPosition(all);
    } else {
      success.setNoPosition(new GoogleEmpty());
    }
    response.setSuccess(success);
  });
}

function statusOf(code: grpc.status, message: string, detail: { serializeBinary(): Uint8Array }, typeName: string): Status {
  const status = new Status();
  status.setCode(code as number);
  status.setMessage(message);
  const any = new Any();
  any.pack(detail.serializeBinary(), typeName, FULL_NAME_PREFIX);
  status.setDetails(any);
  return status;
}

/** Status.Timeout (Google.Rpc.Status in Status.cs): DEADLINE_EXCEEDED with a Timeout detail. */
function timeoutStatus(): Status {
  return statusOf(grpc.status.DEADLINE_EXCEEDED, 'Timeout', new shared.Timeout(), 'event_store.client.Timeout');
}

function badRequest(message: string): Status {
  const detail = new shared.BadRequest();
  detail.setMessage(message);
  return statusOf(grpc.status.INVALID_ARGUMENT, 'BadRequest', detail, 'event_store.client.BadRequest');
}

/** Status.WrongExpectedVersion: ALREADY_EXISTS with the WrongExpectedVersion detail, which the client reads. */
function wrongExpectedVersionStatus(current: bigint | 'no_stream', expected: Expected): Status {
  const details = new shared.WrongExpectedVersion();
  if (current === 'no_stream') details.setCurrentNoStream(new GoogleEmpty());
  else details.setCurrentStreamRevision(current.toString());
  switch (expected.kind) {
    case 'revision':
      details.setExpectedStreamPosition(expected.revision.toString());
      break;
    case 'no_stream':
      details.setExpectedNoStream(new GoogleEmpty());
      break;
    case 'stream_exists':
      details.setExpectedStreamExists(new GoogleEmpty());
      break;
    case 'any':
      details.setExpectedAny(new GoogleEmpty());
      break;
  }
  return statusOf(grpc.status.ALREADY_EXISTS, 'WrongExpectedVersion', details, 'event_store.client.WrongExpectedVersion');
}

export function serverFeaturesImplementation(handlers: StreamsHandlers): grpc.UntypedServiceImplementation {
  return {
    getSupportedMethods: (_call: grpc.ServerUnaryCall<shared.Empty, SupportedMethods>, callback: grpc.sendUnaryData<SupportedMethods>) =>
      callback(null, handlers.supportedMethods()),
  };
}

export { ServerFeaturesService, StreamsService };
