export { DOSSIER_ARCHIVE, DOSSIER_ARCHIVE_TABLE, archiveProjection } from './dossier-archive.projection';
export { ArchivedDossierRow } from './archived-dossier.entity';
export * from './archive.reader';
