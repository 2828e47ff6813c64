import { ArchivedDossierRow } from './dossier-archive/archived-dossier.entity';
import { DossierArchive1732924800000 } from './dossier-archive/migrations/1732924800000-dossier-archive';
import { CrtDossier } from './crt-registry/crt-dossier.entity';
import { CrtRegistry1732579200000 } from './crt-registry/migrations/1732579200000-crt-registry';
import { CrtArchiveAndErasure1732838400000 } from './crt-registry/migrations/1732838400000-crt-archive-and-erasure';
import { CrtListIndexes1733443201400 } from './crt-registry/migrations/1733443201400-crt-list-indexes';
import { CrtResidenceStatus1733529600000 } from './crt-registry/migrations/1733529600000-crt-residence-status';
import { CrtMunicipalitySortIndexes1733529600150 } from './crt-registry/migrations/1733529600150-crt-municipality-sort-indexes';
import { CrtStageCounts1733529600160 } from './crt-registry/migrations/1733529600160-crt-stage-counts';
import { CrtStageCountsInKeyOrder1733529600170 } from './crt-registry/migrations/1733529600170-crt-stage-counts-in-key-order';
import { CrtWithoutUnusedIndexes1733529600190 } from './crt-registry/migrations/1733529600190-crt-without-unused-indexes';
import { CrtFilterCombinationIndex1733529600210 } from './crt-registry/migrations/1733529600210-crt-filter-combination-index';
import { CrtLeftRegistrationIndex1733529600230 } from './crt-registry/migrations/1733529600230-crt-left-registration-index';
import { CrtSearchPendingListLimit1733529600240 } from './crt-registry/migrations/1733529600240-crt-search-pending-list-limit';
import { StatDossierPeriodRow, StatEventRow, StatisticsSettingsRow, StatPersonAttributesRow } from './flow-statistics/flow-statistics.entities';
import { FlowStatistics1732665600000 } from './flow-statistics/migrations/1732665600000-flow-statistics';
import { FlowStatisticsResidenceStatus1733529600001 } from './flow-statistics/migrations/1733529600001-flow-statistics-residence-status';
import { FlowStatisticsRecorded1733529600010 } from './flow-statistics/migrations/1733529600010-flow-statistics-recorded';
import { FlowStatisticsHousingPlace1733529600020 } from './flow-statistics/migrations/1733529600020-flow-statistics-housing-place';
import { FlowStatisticsPersonAttributes1733529600030 } from './flow-statistics/migrations/1733529600030-flow-statistics-person-attributes';
import { FlowStatisticsDateCounts1733529600040 } from './flow-statistics/migrations/1733529600040-flow-statistics-date-counts';
import { FlowStatisticsFlowCounts1733529600050 } from './flow-statistics/migrations/1733529600050-flow-statistics-flow-counts';
import { FlowStatisticsCountsBehind1733529600060 } from './flow-statistics/migrations/1733529600060-flow-statistics-counts-behind';
import { FlowStatisticsStagedEvents1733529600070 } from './flow-statistics/migrations/1733529600070-flow-statistics-staged-events';
import { FlowStatisticsFunnelWaitBands1733529600080 } from './flow-statistics/migrations/1733529600080-flow-statistics-funnel-wait-bands';
import { FlowStatisticsCountPages1733529600085 } from './flow-statistics/migrations/1733529600085-flow-statistics-count-pages';
import { FlowStatisticsDateCountsRead1733529600090 } from './flow-statistics/migrations/1733529600090-flow-statistics-date-counts-read';
import { FlowStatisticsStagedWithoutAutovacuum1733529600220 } from './flow-statistics/migrations/1733529600220-flow-statistics-staged-without-autovacuum';
import { FlowStatisticsFlowCountLines1733529600250 } from './flow-statistics/migrations/1733529600250-flow-statistics-flow-count-lines';
import { DatesInSafeForm1733356800001 } from './migrations/1733356800001-dates-in-safe-form';

/**
 * Every read model's TypeORM entities and migrations (the engine's own tables are libs/projection-engine's).
 * A projection adds its own here when it gets tables.
 */
export const READ_MODEL_ENTITIES: Function[] = [CrtDossier, StatEventRow, StatDossierPeriodRow, StatPersonAttributesRow, StatisticsSettingsRow, ArchivedDossierRow];

export const READ_MODEL_MIGRATIONS: Function[] = [
  CrtRegistry1732579200000,
  FlowStatistics1732665600000,
  CrtArchiveAndErasure1732838400000,
  DossierArchive1732924800000,
  DatesInSafeForm1733356800001,
  CrtListIndexes1733443201400,
  CrtResidenceStatus1733529600000,
  FlowStatisticsResidenceStatus1733529600001,
  FlowStatisticsRecorded1733529600010,
  FlowStatisticsHousingPlace1733529600020,
  FlowStatisticsPersonAttributes1733529600030,
  FlowStatisticsDateCounts1733529600040,
  FlowStatisticsFlowCounts1733529600050,
  FlowStatisticsCountsBehind1733529600060,
  FlowStatisticsStagedEvents1733529600070,
  FlowStatisticsFunnelWaitBands1733529600080,
  FlowStatisticsCountPages1733529600085,
  FlowStatisticsDateCountsRead1733529600090,
  CrtMunicipalitySortIndexes1733529600150,
  CrtStageCounts1733529600160,
  CrtStageCountsInKeyOrder1733529600170,
  CrtWithoutUnusedIndexes1733529600190,
  CrtFilterCombinationIndex1733529600210,
  FlowStatisticsStagedWithoutAutovacuum1733529600220,
  CrtLeftRegistrationIndex1733529600230,
  CrtSearchPendingListLimit1733529600240,
  FlowStatisticsFlowCountLines1733529600250,
];
