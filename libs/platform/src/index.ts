/**
 * What every part of the service shares and no domain owns: configuration, the clock, tokens,
 * secrets, text PostgreSQL can store, crash points, statements sent with node-pg's callback form
 * (sentWithCallback: what keeps no result alive past its answer). Its own entry point:
 * `@app/platform/embedded-postgres`, which starts the embedded PostgreSQL (the runtime and the
 * tests), out of the face so that only what starts a server loads the optional package.
 */
export * from './config';
export * from './deterministic-uuid';
export * from './time-ordered-uuid';
export * from './uuid';
export * from './dev-tokens';
export * from './keyed-mutex';
export * from './secrets';
export * from './postgres-errors';
export * from './prepared-names';
export * from './sent-with-callback';
export * from './canonical-json';
export * from './storable';
export * from './crash-points';
export * from './text';
export * from './clock';
export * from './kept-values';
