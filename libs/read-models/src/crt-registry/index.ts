export { CRT_DOSSIERS_TABLE, CRT_REGISTRY, crtRegistryProjection } from './crt-registry.projection';
export { CrtDossier } from './crt-dossier.entity';
export * from './crt-registry.reader';
