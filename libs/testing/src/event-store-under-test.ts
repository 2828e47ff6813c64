/** The EventStoreDB specs use: a real server when given (TEST_ESDB_URL), else the run's test server. */
export function esdbUrlForTests(): string {
  const url = process.env.TEST_ESDB_URL ?? process.env.ESDB_TEST_SERVER_URL;
  if (!url) throw new Error('No EventStoreDB for tests: run through jest (test/support/global-setup.ts) or set TEST_ESDB_URL');
  return url;
}
