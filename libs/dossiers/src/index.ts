/**
 * The write side of dossiers, without HTTP: commands and their handlers, one writer cycle
 * (load, decide, append, retry) for every command, the repository with the stored-event
 * envelope, hash chain and personal-data sealing, national register number reservations, time
 * travel, erasure, and what feeds commands from elsewhere (the CRT import, the demo seeder).
 * Refusals are domain errors or the application errors of errors.ts, never HTTP answers.
 */
export * from './command-context';
export * from './commands';
export * from './errors';
export * from './dossier-repository';
export * from './dossier-writer';
export * from './handlers';
export * from './hash-chain';
export * from './national-register-reservations';
export * from './time-travel';
export * from './erasure/erase-personal-data.command';
export * from './erasure/erase-personal-data.handler';
export * from './erasure/erasure-completion';
export * from './crt-import/crt-csv';
export * from './crt-import/crt-importer';
export * from './seed/history-generator';
export * from './seed/seed';
export * from './dossiers.module';
