import { archiveProjection } from './dossier-archive/dossier-archive.projection';
import { crtRegistryProjection } from './crt-registry/crt-registry.projection';
import type { PersonalDataReader, Projection } from '@app/projection-engine';
import { flowStatisticsProjection } from './flow-statistics/flow-statistics.projection';

/**
 * Every projection the service runs, in the order they are listed by GET /projections. Those that
 * need personal data read registrations through `personalData` (libs/personal-data implements it):
 * the CRT registry shows it, the flow statistics derive age bands from the birth date.
 * `spillDirectory` (PROJECTION_SPILL_DIR): where the flow statistics' one-pass fold spills the
 * counts it cannot hold; the OS's temporary directory unless given.
 */
export function allProjections(personalData: PersonalDataReader, spillDirectory?: string): Projection[] {
  return [crtRegistryProjection(personalData), flowStatisticsProjection(personalData, undefined, undefined, spillDirectory), archiveProjection()];
}
