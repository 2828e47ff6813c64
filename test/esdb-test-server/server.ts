/**
 * gRPC handlers of the EventStoreDB test server: `Streams` (Read, Append, BatchAppend) and
 * `ServerFeatures`, on the service definitions and message classes generated into
 * `@eventstore/db-client/generated`. Everything else (Delete, Tombstone, Gossip, Operations,
 * Users, Projections, PersistentSubscriptions, ...) answers UNIMPLEMENTED.
 *
 * Semantics follow EventStoreDB's documentation and what its Node.js client expects; choices
 * that could not be checked against a real server are marked "UNCERTAIN" here and listed in
 * README.md.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import { Empty as GoogleEmpty } from 'google-protobuf/google/protobuf/empty_pb';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { SupportedMethod, SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import * as shared from '@eventstore/db-client/generated/shared_pb';
import { Status } from '@eventstore/db-client/generated/status_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { AppendReq, AppendResp, BatchAppendReq, BatchAppendResp, ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { type AppendOutcome, type Expected, type InMemoryLog, type LogPos, type ProposedEvent, type StoredEvent } from './log';

export interface StreamsServiceOptions {
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
  /** Largest append accepted, in bytes of proposed messages (EventStoreDB's default: 1 MiB). */
  readonly maxAppendSize: number;
  /** Version reported by ServerFeatures. */
  readonly serverVersion: string;
  /** Called after every user append that wrote something (used to interleave system events). */
  readonly afterUserAppend?: () => void;
}

const MAX_SEARCH_WINDOW = 32;
const FULL_NAME_PREFIX = 'type.googleapis.com/';

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
  serializeBinary(): Uint8Array;
}

function toProposedEvent(message: ProposedLike): ProposedEvent {
  const metadata = message.getMetadataMap();
  const type = metadata.get('type');
  const contentType = metadata.get('content-type');
  const missing = [type === undefined ? 'type' : undefined, contentType === undefined ? 'content-type' : undefined].filter(
    (key): key is string => key !== undefined,
  );
  if (missing.length > 0) {
    throw serviceError(grpc.status.INVALID_ARGUMENT, `Required metadata properties are missing: ${missing.join(', ')}`, {
      exception: 'missing-required-metadata-property',
      'required-metadata-properties': missing.join(','),
    });
  }
  return {
    id: parseUuid(message.getId()),
    type: type as string,
    contentType: contentType as string,
    data: Uint8Array.from(message.getData_asU8()),
    customMetadata: Uint8Array.from(message.getCustomMetadata_asU8()),
  };
}

/** UNCERTAIN: the size counted is that of the serialized proposed messages. */
function checkAppendSize(messages: readonly ProposedLike[], max: number): void {
  const size = messages.reduce((total, message) => total + message.serializeBinary().length, 0);
  if (size > max) {
    throw serviceError(grpc.status.INVALID_ARGUMENT, `Maximum Append Size of ${max} Exceeded.`, {
      exception: 'maximum-append-size-exceeded',
      'maximum-append-size': String(max),
    });
  }
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
  metadata.set('content-type', event.contentType);
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

function checkpointResponse(position: LogPos): ReadResp {
  const checkpoint = new ReadResp.Checkpoint();
  checkpoint.setCommitPosition(position.commit.toString());
  checkpoint.setPreparePosition(position.prepare.toString());
  const response = new ReadResp();
  response.setCheckpoint(checkpoint);
  return response;
}

function confirmationResponse(): ReadResp {
  const confirmation = new ReadResp.SubscriptionConfirmation();
  confirmation.setSubscriptionId(randomUUID());
  const response = new ReadResp();
  response.setConfirmation(confirmation);
  return response;
}

function caughtUpResponse(): ReadResp {
  const response = new ReadResp();
  response.setCaughtUp(new ReadResp.CaughtUp());
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

interface EventFilter {
  readonly matches: (event: StoredEvent) => boolean;
  /** Events scanned (matching or not) between two checkpoints of a subscription. */
  readonly checkpointEvery: number;
}

function parseFilter(options: ReadReq.Options): EventFilter | undefined {
  if (!options.hasFilter()) return undefined;
  const filter = options.getFilter() as ReadReq.Options.FilterOptions;
  const byStream = filter.hasStreamIdentifier();
  const expression = byStream ? filter.getStreamIdentifier() : filter.getEventType();
  if (!expression) throw invalidArgument('filter without expression');
  const prefixes = expression.getPrefixList();
  let regex: RegExp | undefined;
  if (prefixes.length === 0 && expression.getRegex() !== '') {
    // UNCERTAIN: EventStoreDB evaluates .NET regular expressions; JavaScript's are used here
    // (identical for the usual anchors, classes and alternations).
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
  // UNCERTAIN: the server checkpoints every (multiplier x search window) events it scans; the
  // window is `max` when given, else 32 (the gRPC default).
  const window = filter.hasMax() && filter.getMax() > 0 ? filter.getMax() : MAX_SEARCH_WINDOW;
  const multiplier = Math.max(1, filter.getCheckpointintervalmultiplier());
  return { matches, checkpointEvery: window * multiplier };
}

// ---------------------------------------------------------------------------------------------
// Reading: one loop for finite reads, catch-up and live subscriptions
// ---------------------------------------------------------------------------------------------

/** Something to read from: $all (by log index) or one stream (by revision). */
interface Source {
  /** Current end (exclusive); grows as events are appended. */
  end(): number;
  at(index: number): StoredEvent;
}

type ReadCall = grpc.ServerWritableStream<ReadReq, ReadResp>;

/**
 * Writes responses with back-pressure and notices when the call goes away (client cancelled,
 * deadline, server shutdown).
 */
class ResponseWriter {
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

  /** Resolves once `wake` is called or the call closes. */
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

  end(): void {
    if (!this.closed) this.call.end();
    this.close();
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class StreamsHandlers {
  private readonly activeCalls = new Set<ResponseWriter>();

  constructor(
    private readonly log: InMemoryLog,
    private readonly options: StreamsServiceOptions,
  ) {}

  /** Stops every running read and subscription (the server is shutting down). */
  closeAll(): void {
    for (const writer of this.activeCalls) writer.close();
    this.activeCalls.clear();
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
      const structuredIds = options.getUuidOption()?.hasStructured() ?? false;
      const subscription = options.hasSubscription();
      const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
      const filter = parseFilter(options);
      const count = options.hasCount() ? BigInt(options.getCount()) : undefined;

      if (options.hasStream()) {
        const streamOptions = options.getStream() as ReadReq.Options.StreamOptions;
        const name = streamNameOf(streamOptions.getStreamIdentifier());
        const events = () => this.log.streamEvents(name);
        const source: Source = { end: () => events().length, at: (index) => events()[index] };
        if (subscription) {
          // Catch-up starts after the given revision (exclusive), as the client documents.
          let from: number;
          if (streamOptions.hasStart()) from = 0;
          else if (streamOptions.hasEnd()) from = source.end();
          else from = Number(BigInt(streamOptions.getRevision())) + 1;
          await this.subscribe(writer, source, from, undefined, structuredIds);
          return;
        }
        if (!this.log.streamExists(name)) {
          await writer.write(streamNotFoundResponse(name));
          writer.end();
          return;
        }
        const last = source.end() - 1;
        let from: number;
        if (streamOptions.hasStart()) from = 0;
        else if (streamOptions.hasEnd()) from = backwards ? last : last + 1;
        else from = Number(BigInt(streamOptions.getRevision()));
        // Backwards from beyond the end starts at the last event.
        if (backwards) from = Math.min(from, last);
        await this.readRange(writer, source, from, backwards, count, undefined, structuredIds);
        writer.end();
        return;
      }

      if (options.hasAll()) {
        const allOptions = options.getAll() as ReadReq.Options.AllOptions;
        const source: Source = { end: () => this.log.length, at: (index) => this.log.at(index) };
        const position = allOptions.hasPosition() ? positionOf(allOptions.getPosition() as ReadReq.Options.Position) : undefined;
        if (subscription) {
          let from: number;
          if (allOptions.hasStart()) from = 0;
          else if (allOptions.hasEnd()) from = this.log.length;
          // Exclusive: a subscription from a position starts after it.
          else from = this.log.upperBound(position as LogPos);
          await this.subscribe(writer, source, from, filter, structuredIds);
          return;
        }
        let from: number;
        if (allOptions.hasStart()) from = backwards ? -1 : 0;
        else if (allOptions.hasEnd()) from = backwards ? this.log.length - 1 : this.log.length;
        // Forwards: inclusive (the event at exactly that position comes first).
        // UNCERTAIN: backwards: exclusive (the events strictly before that position).
        else from = backwards ? this.log.lowerBound(position as LogPos) - 1 : this.log.lowerBound(position as LogPos);
        await this.readRange(writer, source, from, backwards, count, filter, structuredIds);
        writer.end();
        return;
      }
      throw invalidArgument('read of neither a stream nor $all');
    } catch (error) {
      if (!writer.closed) {
        writer.close();
        call.emit('error', asServiceError(error));
      }
    } finally {
      this.activeCalls.delete(writer);
    }
  }

  private async readRange(
    writer: ResponseWriter,
    source: Source,
    from: number,
    backwards: boolean,
    count: bigint | undefined,
    filter: EventFilter | undefined,
    structuredIds: boolean,
  ): Promise<void> {
    // A read sees the log as it was when it started.
    const end = source.end();
    let remaining = count ?? BigInt(Number.MAX_SAFE_INTEGER);
    let scanned = 0;
    for (let index = from; remaining > 0n && !writer.closed && index >= 0 && index < end; index += backwards ? -1 : 1) {
      const event = source.at(index);
      if (++scanned % 1000 === 0) await yieldToEventLoop();
      if (filter && !filter.matches(event)) continue;
      await writer.write(readEvent(event, structuredIds));
      remaining--;
    }
  }

  private async subscribe(
    writer: ResponseWriter,
    source: Source,
    from: number,
    filter: EventFilter | undefined,
    structuredIds: boolean,
  ): Promise<void> {
    await writer.write(confirmationResponse());
    let index = Math.max(0, from);
    let caughtUp = false;
    let scanned = 0;
    while (!writer.closed) {
      if (index < source.end()) {
        const event = source.at(index++);
        scanned++;
        if (!filter || filter.matches(event)) await writer.write(readEvent(event, structuredIds));
        if (filter && scanned % filter.checkpointEvery === 0) await writer.write(checkpointResponse(event.position));
        if (scanned % 1000 === 0) await yieldToEventLoop();
        continue;
      }
      if (!caughtUp) {
        // Sent once, when catch-up reaches the head and the subscription goes live (what
        // EventStoreDB 23.10+ does; older servers send nothing). This server never falls
        // behind, so it never sends FellBehind.
        caughtUp = true;
        await writer.write(caughtUpResponse());
        continue;
      }
      await writer.wait((wake) => this.log.onAppend(wake));
    }
  }

  // --- Append ---------------------------------------------------------------------------------

  private append(call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>): void {
    let options: AppendReq.Options | undefined;
    const messages: AppendReq.ProposedMessage[] = [];
    let failed = false;
    call.on('data', (request: AppendReq) => {
      if (request.hasOptions()) options = request.getOptions();
      else if (request.hasProposedMessage()) messages.push(request.getProposedMessage() as AppendReq.ProposedMessage);
    });
    call.on('error', () => (failed = true));
    call.on('end', () => {
      if (failed) return;
      try {
        if (!options) throw invalidArgument('append without options');
        const name = streamNameOf(options.getStreamIdentifier());
        const expected = appendExpected(options);
        checkAppendSize(messages, this.options.maxAppendSize);
        const outcome = this.appendToLog(name, expected, messages.map(toProposedEvent));
        callback(null, appendResponse(outcome, expected, this.options.idempotentPosition));
      } catch (error) {
        callback(asServiceError(error));
      }
    });
  }

  private appendToLog(name: string, expected: Expected, events: ProposedEvent[]): AppendOutcome {
    const outcome = this.log.append(name, expected, events);
    if (outcome.kind === 'success' && !outcome.idempotent && events.length > 0) this.options.afterUserAppend?.();
    return outcome;
  }

  // --- BatchAppend ----------------------------------------------------------------------------

  private batchAppend(call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
    const pending = new Map<string, { options?: BatchAppendReq.Options; messages: BatchAppendReq.ProposedMessage[] }>();
    call.on('data', (request: BatchAppendReq) => {
      let correlationId: string;
      try {
        correlationId = parseUuid(request.getCorrelationId());
      } catch (error) {
        call.emit('error', asServiceError(error));
        return;
      }
      let batch = pending.get(correlationId);
      if (!batch) pending.set(correlationId, (batch = { messages: [] }));
      if (request.hasOptions()) batch.options = request.getOptions();
      batch.messages.push(...request.getProposedMessagesList());
      if (!request.getIsFinal()) return;
      pending.delete(correlationId);
      call.write(this.batchAppendResponse(correlationId, batch.options, batch.messages));
    });
    call.on('end', () => call.end());
  }

  private batchAppendResponse(
    correlationId: string,
    options: BatchAppendReq.Options | undefined,
    messages: BatchAppendReq.ProposedMessage[],
  ): BatchAppendResp {
    const response = new BatchAppendResp();
    response.setCorrelationId(uuidMessage(correlationId, false));
    if (!options) {
      response.setError(statusOf(grpc.status.INVALID_ARGUMENT, 'batch append without options'));
      return response;
    }
    const identifier = options.getStreamIdentifier();
    if (identifier) response.setStreamIdentifier(identifier);
    let expected: Expected;
    switch (options.getExpectedStreamPositionCase()) {
      case BatchAppendReq.Options.ExpectedStreamPositionCase.STREAM_POSITION:
        expected = { kind: 'revision', revision: BigInt(options.getStreamPosition()) };
        response.setStreamPosition(options.getStreamPosition());
        break;
      case BatchAppendReq.Options.ExpectedStreamPositionCase.NO_STREAM:
        expected = { kind: 'no_stream' };
        response.setNoStream(new GoogleEmpty());
        break;
      case BatchAppendReq.Options.ExpectedStreamPositionCase.STREAM_EXISTS:
        expected = { kind: 'stream_exists' };
        response.setStreamExists(new GoogleEmpty());
        break;
      default:
        expected = { kind: 'any' };
        response.setAny(new GoogleEmpty());
        break;
    }
    // UNCERTAIN: the options' deadline is not enforced (the real server answers Timeout when
    // it cannot write in time); this server always writes at once.
    try {
      const name = streamNameOf(identifier);
      checkAppendSize(messages, this.options.maxAppendSize);
      const outcome = this.appendToLog(name, expected, messages.map(toProposedEvent));
      if (outcome.kind === 'wrong_expected_version') {
        response.setError(wrongExpectedVersionStatus(outcome.current, expected));
        return response;
      }
      const success = new BatchAppendResp.Success();
      if (outcome.current === 'no_stream') success.setNoStream(new GoogleEmpty());
      else success.setCurrentRevision(outcome.current.toString());
      const position = reportedPosition(outcome, this.options.idempotentPosition);
      if (position) {
        const all = new shared.AllStreamPosition();
        all.setCommitPosition(position.commit.toString());
        all.setPreparePosition(position.prepare.toString());
        success.setPosition(all);
      } else {
        success.setNoPosition(new GoogleEmpty());
      }
      response.setSuccess(success);
      return response;
    } catch (error) {
      const failure = asServiceError(error);
      if (failure.metadata.get('exception')[0] === 'maximum-append-size-exceeded') {
        const exceeded = new shared.MaximumAppendSizeExceeded();
        exceeded.setMaxappendsize(this.options.maxAppendSize);
        response.setError(statusOf(grpc.status.INVALID_ARGUMENT, failure.details, exceeded, 'event_store.client.MaximumAppendSizeExceeded'));
      } else {
        response.setError(statusOf(failure.code, failure.details));
      }
      return response;
    }
  }
}

function positionOf(position: ReadReq.Options.Position): LogPos {
  return { commit: BigInt(position.getCommitPosition()), prepare: BigInt(position.getPreparePosition()) };
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

function statusOf(code: grpc.status, message: string, detail?: { serializeBinary(): Uint8Array }, typeName?: string): Status {
  const status = new Status();
  status.setCode(code as number);
  status.setMessage(message);
  if (detail && typeName) {
    const any = new Any();
    any.pack(detail.serializeBinary(), typeName, FULL_NAME_PREFIX);
    status.setDetails(any);
  }
  return status;
}

/** UNCERTAIN: the status code (FAILED_PRECONDITION); the client only looks at the details. */
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
  return statusOf(grpc.status.FAILED_PRECONDITION, 'WrongExpectedVersion', details, 'event_store.client.WrongExpectedVersion');
}

export function serverFeaturesImplementation(handlers: StreamsHandlers): grpc.UntypedServiceImplementation {
  return {
    getSupportedMethods: (_call: grpc.ServerUnaryCall<shared.Empty, SupportedMethods>, callback: grpc.sendUnaryData<SupportedMethods>) =>
      callback(null, handlers.supportedMethods()),
  };
}

export { ServerFeaturesService, StreamsService };
