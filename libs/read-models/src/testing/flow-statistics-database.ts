import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { DossierEvent } from '@app/domain';
import { recordedDossierEvent } from '@app/domain/testing';
import { openReadModelDatabase } from '@app/projection-engine/testing';
import { PERSONAL_DATA_MIGRATIONS, PersonalDataProtection } from '@app/personal-data';
import { READ_MODEL_MIGRATIONS } from '../schema';
import { flowStatisticsProjection } from '../flow-statistics/flow-statistics.projection';

export interface FlowStatisticsDatabase {
  dataSource: DataSource;
  /** Projects the events in one batch, in the order given (the log's), recorded by the store now. */
  apply(events: Array<[dossierId: string, version: number, event: DossierEvent]>): Promise<void>;
  close(): Promise<void>;
}

/** For the statistics queries' specs: a read-model database of the spec's own (real PostgreSQL) with the flow statistics projected into it, nothing suppressed. */
export async function openFlowStatisticsDatabase(): Promise<FlowStatisticsDatabase> {
  const { dataSource, context, close } = await openReadModelDatabase([...READ_MODEL_MIGRATIONS, ...PERSONAL_DATA_MIGRATIONS]);
  await dataSource.query('UPDATE read_models.statistics_settings SET suppress_below = 0');
  const projection = flowStatisticsProjection(PersonalDataProtection.withMasterSecret(randomBytes(48)));
  return {
    dataSource,
    apply: async (events) => {
      await projection.apply(
        events.map(([id, version, event]) => recordedDossierEvent(id, version, event)),
        context,
      );
    },
    close,
  };
}
