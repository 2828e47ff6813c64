/**
 * The read models: each room holds its projection, its tables (entities, migrations) and the
 * queries that read them (crt-registry/, flow-statistics/, dossier-archive/). The engine that
 * keeps them is libs/projection-engine; specs find hand-made events in @app/domain/testing.
 */
export { allProjections } from './all-projections';
export { ProjectionEngineHost } from './projection-engine-host';
export { ReadModelsModule } from './read-models.module';
export { READ_MODEL_ENTITIES, READ_MODEL_MIGRATIONS } from './schema';
export * from './crt-registry';
export * from './flow-statistics';
export * from './dossier-archive';
