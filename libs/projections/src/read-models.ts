import { ArchivedDossierRow } from './archive/archived-dossier.entity';
import { DossierArchive1732924800000 } from './archive/migrations/1732924800000-dossier-archive';
import { CrtDossier } from './crt-registry/crt-dossier.entity';
import { CrtRegistry1732579200000 } from './crt-registry/migrations/1732579200000-crt-registry';
import { CrtArchiveAndErasure1732838400000 } from './crt-registry/migrations/1732838400000-crt-archive-and-erasure';
import { StatDossierPeriodRow, StatEventRow, StatisticsSettingsRow } from './flow-statistics/flow-statistics.entities';
import { FlowStatistics1732665600000 } from './flow-statistics/migrations/1732665600000-flow-statistics';
import { ReadModelSchema1732492800000 } from './migrations/1732492800000-read-model-schema';
import { ProjectionOwner1733184000000 } from './migrations/1733184000000-projection-owner';
import { ProjectionSafeForms1733356800000 } from './migrations/1733356800000-projection-safe-forms';
import { DatesInSafeForm1733356800001 } from './migrations/1733356800001-dates-in-safe-form';

/**
 * Every read model's TypeORM entities and migrations, in order. A projection adds its own here
 * when it gets tables.
 */
export const READ_MODEL_ENTITIES: Function[] = [CrtDossier, StatEventRow, StatDossierPeriodRow, StatisticsSettingsRow, ArchivedDossierRow];

export const READ_MODEL_MIGRATIONS: Function[] = [ReadModelSchema1732492800000, CrtRegistry1732579200000, FlowStatistics1732665600000, CrtArchiveAndErasure1732838400000, DossierArchive1732924800000, ProjectionOwner1733184000000, ProjectionSafeForms1733356800000, DatesInSafeForm1733356800001];
