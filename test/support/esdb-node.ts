import * as grpc from '@grpc/grpc-js';
import { startEsdbTestServer, type EsdbTestServer, type EsdbTestServerOptions } from '../../tools/esdb-test-server';

/**
 * The EventStoreDB node a spec about the node's own behaviour runs against: the real node in
 * TEST_ESDB_URL (`npm run test:esdb-real`), else a test server started for the test with the
 * settings it needs. What needs the test server's settings or counters runs on a test server only.
 */
export interface EsdbNode {
  readonly url: string;
  /** Undefined on a real node. */
  readonly server: EsdbTestServer | undefined;
}

export const realEsdbUrl = (): string | undefined => process.env.TEST_ESDB_URL || undefined;

/**
 * `it` for what needs a test server (its settings, its counters, stopping it). Skipped against a
 * real node (reason): a real node's settings and counters cannot be set or read, nor may a test stop it.
 */
export const itOnTestServer: jest.It = realEsdbUrl() ? it.skip : it;

export async function withEsdbNode<T>(settings: EsdbTestServerOptions, run: (node: EsdbNode) => Promise<T>): Promise<T> {
  const real = realEsdbUrl();
  if (real) return run({ url: real, server: undefined });
  const server = await startEsdbTestServer({ port: 0, ...settings });
  try {
    return await run({ url: server.url, server });
  } finally {
    await server.stop();
  }
}

/** host:port and credentials of a node's connection string, for gRPC calls the client does not make. */
export function grpcChannelOf(url: string): { target: string; credentials: grpc.ChannelCredentials } {
  const parsed = new URL(url.replace(/^esdb(\+discover)?:/, 'http:'));
  const insecure = parsed.searchParams.get('tls') === 'false';
  return {
    target: `${parsed.hostname}:${parsed.port || '2113'}`,
    credentials: insecure ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(),
  };
}
