export { allProjections } from './all-projections';
export { READ_MODEL_ENTITIES, READ_MODEL_MIGRATIONS } from './read-models';
export { FLOW_STATISTICS } from './flow-statistics/flow-statistics.projection';
export { DOSSIER_ARCHIVE, DOSSIER_ARCHIVE_TABLE } from './archive/archive.projection';
