/**
 * An in-memory, single-process server that speaks EventStoreDB's gRPC protocol well enough for
 * this project's EventStoreDB adapter (and `@eventstore/db-client` 6.x) to run against it, and
 * behaves as a KurrentDB 26.0 node does where the adapter meets it. Test support only; see
 * docs/esdb-test-server.md for what it implements, what it leaves out, and the sources checked.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { InMemoryLog, type StoredEvent } from './log';
import { ServerFeaturesService, StreamsHandlers, StreamsService, serverFeaturesImplementation, type SubscriptionStart } from './server';
import type { ServerCounters, SlowSubscriberBehaviour } from './subscription';

export type { ServerCounters, SlowSubscriberBehaviour } from './subscription';
export type { SubscriptionStart } from './server';

export interface EsdbTestServerOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /**
   * Serve and advertise `Streams.BatchAppend`, which the client then uses for every append
   * (as against EventStoreDB 21.10+). Default true; false makes the client use `Streams.Append`.
   */
  readonly batchAppend?: boolean;
  /** Position reported for an idempotent retry: 'original' (default) or 'none' (older servers). */
  readonly idempotentPosition?: 'original' | 'none';
  /**
   * Every so many ms a `$statsCollected` event in `$stats-<host:port>`, as a node with
   * WriteStatsToDb=true does every StatsPeriodSec (30 s by default). Default 30,000; 0: none, as a
   * node with the default WriteStatsToDb=false. Tests shorten it so that readers of $all meet
   * system events between their own.
   */
  readonly statsPeriodMs?: number;
  /** Default 1 MiB, as EventStoreDB's `MaxAppendSize` up to 25.0 (25.1 raised it to 256 MiB). */
  readonly maxAppendSize?: number;
  /**
   * A live subscriber too slow for the events appended: 'fall-behind' (default; 24.2 and later:
   * it goes back to catching up and is sent `caught_up` again) or 'drop' (before 24.2: the
   * subscription ends with ABORTED, the client must subscribe again).
   */
  readonly slowSubscriber?: SlowSubscriberBehaviour;
  /** Live events a subscription buffers before it falls behind or is dropped. Default 32, as KurrentDB. */
  readonly liveBufferSize?: number;
  /** Also send `fell_behind` when a subscription falls behind (KurrentDB does not). Default false. */
  readonly announceFellBehind?: boolean;
  /** A write not done within this many ms is answered with a timeout (the node's 2 s write/commit timeouts). */
  readonly writeTimeoutMs?: number;
}

export interface EsdbTestServer {
  /** e.g. `esdb://127.0.0.1:2113?tls=false` */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** What the server did so far (subscriptions that fell behind or were dropped, refused positions, timed-out writes). */
  readonly counters: Readonly<ServerCounters>;
  /** Where each subscription to $all started, in order: the start, the end, or a position. */
  readonly subscriptionStarts: readonly SubscriptionStart[];
  /** Writes a system event, as the server itself does now and then. */
  writeSystemEvent(streamName: string, type: string, data: unknown): StoredEvent;
  /** Every write from now on takes this long (0: at once), one after the other as the node's writer takes them. */
  setWriteDelay(ms: number): void;
  /**
   * Goes down as a node that stops: open calls are cut off, new connections refused. The log is
   * kept; `comeBack()` serves it again on the same port.
   */
  goDown(): Promise<void>;
  /** Starts again on the same port after `goDown()`, writing a new epoch as a node does at every start. */
  comeBack(): Promise<void>;
  stop(): Promise<void>;
}

/** The version ServerFeatures reports: the LTS modelled, or the last minor before fall-behind subscriptions. */
const VERSION_OF: Record<SlowSubscriberBehaviour, string> = { 'fall-behind': '26.0.0', drop: '23.10.0' };
const MAX_MESSAGE = 17 * 1024 * 1024;
const STATS_STREAM_MAX_AGE_S = 10 * 24 * 60 * 60;

export async function startEsdbTestServer(options: EsdbTestServerOptions = {}): Promise<EsdbTestServer> {
  const host = options.host ?? '127.0.0.1';
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const slowSubscriber = options.slowSubscriber ?? 'fall-behind';
  const statsPeriodMs = options.statsPeriodMs ?? 30_000;
  const instanceId = randomUUID();
  const log = new InMemoryLog();
  const counters: ServerCounters = { fellBehind: 0, dropped: 0, refusedPositions: 0, timedOutWrites: 0 };
  const subscriptionStarts: SubscriptionStart[] = [];
  let writeDelayMs = 0;

  const handlers = new StreamsHandlers(log, {
    batchAppend: options.batchAppend ?? true,
    idempotentPosition: options.idempotentPosition ?? 'original',
    maxAppendSize: options.maxAppendSize ?? 1024 * 1024,
    serverVersion: VERSION_OF[slowSubscriber],
    slowSubscriber,
    liveBufferSize: options.liveBufferSize ?? 32,
    announceFellBehind: options.announceFellBehind ?? false,
    writeTimeoutMs: options.writeTimeoutMs ?? 2000,
    writeDelayMs: () => writeDelayMs,
    counters,
    subscriptionStarts,
  });

  let server: grpc.Server | undefined;
  let statsTimer: NodeJS.Timeout | undefined;
  let port = options.port ?? 0;
  let statsStream = '';

  /** What a node does at every start: a new epoch; with stats to the database, their stream's max age once, then the timer. */
  const serve = async (): Promise<void> => {
    const grpcServer = new grpc.Server({
      'grpc.max_receive_message_length': MAX_MESSAGE,
      'grpc.max_send_message_length': MAX_MESSAGE,
    });
    grpcServer.addService(StreamsService, handlers.implementation());
    grpcServer.addService(ServerFeaturesService, serverFeaturesImplementation(handlers));
    port = await new Promise<number>((resolve, reject) =>
      grpcServer.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    server = grpcServer;
    log.writeEpoch(instanceId);
    if (statsPeriodMs > 0) {
      // MonitoringService: the stats stream is named after the node's HTTP endpoint, its events kept 10 days.
      statsStream = `$stats-${urlHost}:${port}`;
      if (!log.streamExists(`$$${statsStream}`)) log.appendSystemEvent(`$$${statsStream}`, '$metadata', { $maxAge: STATS_STREAM_MAX_AGE_S });
      statsTimer = setInterval(() => {
        const memory = process.memoryUsage();
        log.appendSystemEvent(statsStream, '$statsCollected', {
          'proc-startTime': new Date(Date.now() - process.uptime() * 1000).toISOString(),
          'proc-id': process.pid,
          'proc-mem': memory.rss,
          'es-writer-lastFlushSize': 0,
          timestamp: new Date().toISOString(),
        });
      }, statsPeriodMs);
      statsTimer.unref();
    }
  };

  const goDown = async (): Promise<void> => {
    clearInterval(statsTimer);
    statsTimer = undefined;
    handlers.closeAll();
    // Like a node going down: open calls (subscriptions, the client's batch-append stream) are
    // cut off, and clients see the connection drop.
    server?.forceShutdown();
    server = undefined;
  };

  await serve();
  let stopped = false;
  return {
    url: `esdb://${urlHost}:${port}?tls=false`,
    port,
    host,
    counters,
    subscriptionStarts,
    writeSystemEvent: (streamName, type, data) => log.appendSystemEvent(streamName, type, data),
    setWriteDelay: (ms) => {
      writeDelayMs = ms;
    },
    goDown,
    comeBack: async () => {
      if (stopped) throw new Error('The EventStoreDB test server was stopped');
      if (!server) await serve();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await goDown();
    },
  };
}
