/**
 * Personal data encrypted per dossier at the edge of the event store (AES-256-GCM under a key
 * per dossier, wrapped under the master key), the keys' table and its migration, and erasure by
 * destroying a key.
 */
export * from './envelope';
export * from './master-key';
export * from './key-store';
export * from './personal-data-protection';
export * from './erased-key-listener';
export * from './migrations';
