/**
 * One jest run for the whole monorepo, in two projects:
 * - `postgres`: every spec (unit specs beside the code, the store contract suites, the
 *   end-to-end specs in test/) with events in PostgreSQL;
 * - `eventstoredb`: the end-to-end specs again, with events in EventStoreDB (TEST_ESDB_URL, or
 *   the EventStoreDB test server started for the run).
 * One embedded PostgreSQL and one EventStoreDB test server per run (test/support/global-setup.ts);
 * each spec file that needs a database creates its own inside that PostgreSQL.
 */
const shared = {
  rootDir: '.',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  moduleNameMapper: {
    '^@app/domain(|/.*)$': '<rootDir>/libs/domain/src$1',
    '^@app/dossiers$': '<rootDir>/libs/dossiers/src',
    '^@app/event-store(|/postgres|/eventstoredb|/contract)$': '<rootDir>/libs/event-store/src$1',
    '^@app/platform(|/.*)$': '<rootDir>/libs/platform/src$1',
    '^@app/persistence(|/.*)$': '<rootDir>/libs/persistence/src$1',
    '^@app/read-models(|/.*)$': '<rootDir>/libs/read-models/src$1',
    '^@app/projection-engine(|/.*)$': '<rootDir>/libs/projection-engine/src$1',
    '^@app/personal-data(|/.*)$': '<rootDir>/libs/personal-data/src$1',
    '^@app/testing$': '<rootDir>/libs/testing/src',
  },
  testEnvironment: 'node',
  // The service's V8 options in every worker (test/support/service-v8-options.ts).
  setupFiles: ['<rootDir>/test/support/service-v8-options.ts'],
};

module.exports = {
  projects: [
    { ...shared, displayName: 'postgres', testRegex: '.*\\.spec\\.ts$' },
    {
      ...shared,
      displayName: 'eventstoredb',
      testRegex: 'test/.*\\.e2e\\.spec\\.ts$',
      globals: { __EVENT_STORE__: 'eventstoredb' },
    },
  ],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  maxWorkers: 2,
  testTimeout: 30000,
};
