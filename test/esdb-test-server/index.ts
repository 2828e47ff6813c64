/**
 * An in-memory, single-process server that speaks EventStoreDB's gRPC protocol well enough for
 * this project's EventStoreDB adapter (and `@eventstore/db-client` 6.x) to run against it.
 * Test support only; see README.md for what it implements and what it does not.
 */
import * as grpc from '@grpc/grpc-js';
import { InMemoryLog, type StoredEvent } from './log';
import { ServerFeaturesService, StreamsHandlers, StreamsService, serverFeaturesImplementation } from './server';

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
   * A `$statsCollected` system event is written after every n-th user append, so that readers
   * of $all meet system events between user events. Default 7; 0 turns it off.
   */
  readonly systemEventEvery?: number;
  /** Default 1 MiB, as EventStoreDB's `MaxAppendSize`. */
  readonly maxAppendSize?: number;
}

export interface EsdbTestServer {
  /** e.g. `esdb://127.0.0.1:2113?tls=false` */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Writes a system event, as the server itself does now and then. */
  writeSystemEvent(streamName: string, type: string, data: unknown): StoredEvent;
  stop(): Promise<void>;
}

export const TEST_SERVER_VERSION = '23.10.0';
const NODE_NAME = '127.0.0.1:2113';
const MAX_MESSAGE = 17 * 1024 * 1024;

export async function startEsdbTestServer(options: EsdbTestServerOptions = {}): Promise<EsdbTestServer> {
  const host = options.host ?? '127.0.0.1';
  const log = new InMemoryLog();
  const systemEventEvery = options.systemEventEvery ?? 7;
  let userAppends = 0;

  // What a fresh node writes on its own (approximately: names and contents are made up in the
  // image of the real ones). The `$settings` event has a type without `$`, so only its stream
  // tells it is a system event.
  log.appendSystemEvent('$settings', 'update-default-acl', {
    $userStreamAcl: { $r: '$all', $w: '$all', $d: '$all', $mr: '$all', $mw: '$all' },
    $systemStreamAcl: { $r: '$admins', $w: '$admins', $d: '$admins', $mr: '$admins', $mw: '$admins' },
  });
  log.appendSystemEvent(`$$$stats-${NODE_NAME}`, '$metadata', { $maxAge: 86400 });

  const handlers = new StreamsHandlers(log, {
    batchAppend: options.batchAppend ?? true,
    idempotentPosition: options.idempotentPosition ?? 'original',
    maxAppendSize: options.maxAppendSize ?? 1024 * 1024,
    serverVersion: TEST_SERVER_VERSION,
    afterUserAppend: () => {
      userAppends++;
      if (systemEventEvery > 0 && userAppends % systemEventEvery === 0) {
        log.appendSystemEvent(`$stats-${NODE_NAME}`, '$statsCollected', { 'proc-id': process.pid, appends: userAppends });
      }
    },
  });

  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE,
    'grpc.max_send_message_length': MAX_MESSAGE,
  });
  server.addService(StreamsService, handlers.implementation());
  server.addService(ServerFeaturesService, serverFeaturesImplementation(handlers));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );

  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  let stopped = false;
  return {
    url: `esdb://${urlHost}:${port}?tls=false`,
    port,
    host,
    writeSystemEvent: (streamName, type, data) => log.appendSystemEvent(streamName, type, data),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      handlers.closeAll();
      // Like a node going down: open calls (subscriptions, the client's batch-append stream)
      // are cut off, and clients see the connection drop.
      server.forceShutdown();
    },
  };
}
