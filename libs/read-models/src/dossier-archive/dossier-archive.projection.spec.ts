import { READ_MODEL_MIGRATIONS } from '../schema';
import { PERSONAL_DATA_MIGRATIONS } from '@app/personal-data';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { DossierEvent } from '@app/domain';
import { recordedDossierEvent, registered } from '@app/domain/testing';
import { openReadModelDatabase } from '@app/projection-engine/testing';
import type { ProjectionContext } from '@app/projection-engine';
import { archiveProjection } from './dossier-archive.projection';

const archived: DossierEvent = {
  type: 'DossierArchived',
  data: { on: '2026-11-23', runId: '6f4f3c0e-2b8e-4f57-9d1a-0c1f5e1b2a33', closedBefore: '2025-01-01', reason: null, retainUntil: '2031-11-23' },
};

describe('dossier-archive projection', () => {
  let database: Awaited<ReturnType<typeof openReadModelDatabase>>;
  let dataSource: DataSource;
  let context: ProjectionContext;
  const projection = archiveProjection();

  beforeAll(async () => {
    database = await openReadModelDatabase([...READ_MODEL_MIGRATIONS, ...PERSONAL_DATA_MIGRATIONS]);
    ({ dataSource, context } = database);
  });

  afterAll(async () => {
    await database?.close();
  });

  const rowOf = async (dossierId: string) => {
    const [row] = await dataSource.query(
      `SELECT version, municipality, province_nis, registered_on::text, left_on::text, left_reason, archived_on::text,
              archived_version, run_id::text, closed_before::text, reason, retain_until::text, personal_data_erased_on::text
         FROM read_models.dossier_archive WHERE dossier_id = $1`,
      [dossierId],
    );
    return row as Record<string, unknown> | undefined;
  };

  const applyAll = async (dossierId: string, events: DossierEvent[]) => {
    for (const [index, event] of events.entries()) await projection.apply([recordedDossierEvent(dossierId, index + 1, event)], context);
  };

  it('follows departure and return, then keeps the archive facts and the version the archive copy ends at', async () => {
    const dossierId = randomUUID();
    await applyAll(dossierId, [
      registered(dossierId, '11002', '2022-03-24'),
      { type: 'PersonHoused', data: { housingType: 'collective', municipality: '11002', on: '2022-03-25' } },
      { type: 'PersonLeft', data: { on: '2023-06-30', reason: 'returned-to-ukraine' } },
      { type: 'DossierReopened', data: { on: '2024-02-01', municipality: '44021' } },
      { type: 'PersonLeft', data: { on: '2024-08-31', reason: 'moved-abroad' } },
    ]);
    expect(await rowOf(dossierId)).toMatchObject({ municipality: '44021', province_nis: '40000', left_on: '2024-08-31', archived_on: null });

    await projection.apply([recordedDossierEvent(dossierId, 6, archived)], context);
    await projection.apply([recordedDossierEvent(dossierId, 7, { type: 'PersonalDataErased', data: { on: '2031-11-24', reason: 'retention ended' } })], context);
    expect(await rowOf(dossierId)).toEqual({
      version: 7,
      municipality: '44021',
      province_nis: '40000',
      registered_on: '2022-03-24',
      left_on: '2024-08-31',
      left_reason: 'moved-abroad',
      archived_on: '2026-11-23',
      archived_version: 6,
      run_id: '6f4f3c0e-2b8e-4f57-9d1a-0c1f5e1b2a33',
      closed_before: '2025-01-01',
      reason: null,
      retain_until: '2031-11-23',
      personal_data_erased_on: '2031-11-24',
    });
  });

  it('changes nothing when an event is applied again', async () => {
    const dossierId = randomUUID();
    await applyAll(dossierId, [registered(dossierId, '11002', '2022-03-24'), { type: 'PersonLeft', data: { on: '2023-06-30', reason: 'unknown' } }]);
    const before = await rowOf(dossierId);
    await projection.apply([recordedDossierEvent(dossierId, 1, registered(dossierId, '44021', '2022-03-24'))], context);
    expect(await rowOf(dossierId)).toEqual(before);
  });

  it('keeps no personal data', async () => {
    const columns = await dataSource.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'read_models' AND table_name = 'dossier_archive'`,
    );
    const names = columns.map((column: { column_name: string }) => column.column_name).join(' ');
    expect(names).toContain('archived_on');
    expect(names).not.toMatch(/name|birth|national|attest|sex|nationality|household/);
  });
});
