import {
  defaultMunicipalityDirectory,
  DOSSIER_STREAM_PREFIX,
  isAdministrative,
  occurredOn,
  upcastDossierEvent,
  type DossierEvent,
  type MunicipalityDirectory,
} from '@app/domain';
import type { RecordedEvent } from '@app/event-store';
import type { Projection, ProjectionContext } from '../engine/projection';
import { situationTimeline, type StatEvent } from './situation';

export const FLOW_STATISTICS = 'flow-statistics';
export const STAT_EVENTS_TABLE = 'stat_events';
export const STAT_PERIODS_TABLE = 'stat_dossier_periods';

/** Rows per multi-row statement, well below PostgreSQL's 65,535 parameters. */
const CHUNK = 1000;

/** The non-personal part of an event: the personal block of a registration is never read. */
export function statEventOf(dossierId: string, version: number, event: DossierEvent): StatEvent | undefined {
  if (isAdministrative(event)) return undefined;
  const base = { dossierId, version, type: event.type as StatEvent['type'], occurredOn: occurredOn(event) };
  const none = { eventMunicipality: null, housingType: null, reason: null, trajectory: null };
  switch (event.type) {
    case 'DossierRegistered':
      return { ...base, ...none, eventMunicipality: event.data.municipality };
    case 'PersonHoused':
      return { ...base, ...none, eventMunicipality: event.data.municipality, housingType: event.data.housingType };
    case 'PersonRehoused':
      return { ...base, ...none, eventMunicipality: event.data.municipality, housingType: event.data.housingType, reason: event.data.reason };
    case 'InburgeringEnrolled':
      return { ...base, ...none, trajectory: event.data.trajectory };
    case 'PersonLeft':
      return { ...base, ...none, reason: event.data.reason };
    case 'DossierReopened':
      return { ...base, ...none, eventMunicipality: event.data.municipality };
    default:
      return { ...base, ...none };
  }
}

async function insertRows(context: ProjectionContext, table: string, columns: string[], rows: unknown[][], suffix = ''): Promise<void> {
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    const values: unknown[] = [];
    const tuples = chunk.map((row) => `(${row.map((value) => `$${values.push(value)}`).join(', ')})`);
    await context.query(`INSERT INTO ${context.schema}.${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ${suffix}`, values);
  }
}

/**
 * Flow statistics: `stat_events` keeps one non-personal row per dossier event (primary key
 * dossier + version, so applying an event twice changes nothing), and `stat_dossier_periods`
 * each dossier's situation on the business-date axis. Whenever a batch brings events of a
 * dossier, its periods (and where each of its events counts) are recomputed from all its
 * stat_events in business order, so an event recorded late lands in its own period.
 */
export function flowStatisticsProjection(directory: MunicipalityDirectory = defaultMunicipalityDirectory): Projection {
  async function recompute(dossierIds: string[], context: ProjectionContext): Promise<void> {
    const rows = (await context.query(
      `SELECT dossier_id::text, version, type, occurred_on::text, event_municipality, housing_type, reason, trajectory
         FROM ${context.schema}.${STAT_EVENTS_TABLE} WHERE dossier_id = ANY($1::uuid[])`,
      [dossierIds],
    )) as Array<Record<string, string | number | null>>;
    const byDossier = new Map<string, StatEvent[]>();
    for (const row of rows) {
      const event: StatEvent = {
        dossierId: row.dossier_id as string,
        version: Number(row.version),
        type: row.type as StatEvent['type'],
        occurredOn: row.occurred_on as string,
        eventMunicipality: row.event_municipality as string | null,
        housingType: row.housing_type as string | null,
        reason: row.reason as string | null,
        trajectory: row.trajectory as string | null,
      };
      byDossier.set(event.dossierId, [...(byDossier.get(event.dossierId) ?? []), event]);
    }
    const periodRows: unknown[][] = [];
    const attributionRows: unknown[][] = [];
    for (const [dossierId, events] of byDossier) {
      const { periods, attributions } = situationTimeline(events, directory);
      for (const p of periods) {
        periodRows.push([
          p.dossierId, p.validFrom, p.validTo, p.active, p.stage, p.housingType, p.municipality, p.provinceNis,
          p.employedNow, p.everEmployed, p.vdab, p.inburgering,
        ]);
      }
      for (const a of attributions) attributionRows.push([dossierId, a.version, a.municipality, a.provinceNis]);
    }
    await context.query(`DELETE FROM ${context.schema}.${STAT_PERIODS_TABLE} WHERE dossier_id = ANY($1::uuid[])`, [dossierIds]);
    await insertRows(
      context,
      STAT_PERIODS_TABLE,
      ['dossier_id', 'valid_from', 'valid_to', 'active', 'stage', 'housing_type', 'municipality', 'province_nis', 'employed_now', 'ever_employed', 'vdab', 'inburgering'],
      periodRows,
    );
    for (let start = 0; start < attributionRows.length; start += CHUNK) {
      const chunk = attributionRows.slice(start, start + CHUNK);
      const values: unknown[] = [];
      const tuples = chunk.map(
        (row) => `($${values.push(row[0])}::uuid, $${values.push(row[1])}::integer, $${values.push(row[2])}::text, $${values.push(row[3])}::text)`,
      );
      await context.query(
        `UPDATE ${context.schema}.${STAT_EVENTS_TABLE} AS e SET municipality = v.municipality, province_nis = v.province_nis
           FROM (VALUES ${tuples.join(', ')}) AS v (dossier_id, version, municipality, province_nis)
          WHERE e.dossier_id = v.dossier_id AND e.version = v.version
            AND (e.municipality IS DISTINCT FROM v.municipality OR e.province_nis IS DISTINCT FROM v.province_nis)`,
        values,
      );
    }
  }

  return {
    name: FLOW_STATISTICS,
    tables: [STAT_EVENTS_TABLE, STAT_PERIODS_TABLE],
    streamPrefixes: [DOSSIER_STREAM_PREFIX],
    async apply(events: readonly RecordedEvent[], context: ProjectionContext) {
      if (events.length === 0) return;
      const rows = events.flatMap((recorded) => {
        const metadata = recorded.metadata as { schemaVersion?: number };
        const event = upcastDossierEvent(recorded.type, Number(metadata.schemaVersion ?? 1), recorded.data);
        const s = statEventOf(recorded.streamId.slice(DOSSIER_STREAM_PREFIX.length), recorded.version, event);
        return s ? [[s.dossierId, s.version, s.type, s.occurredOn, s.eventMunicipality, s.housingType, s.reason, s.trajectory]] : [];
      });
      if (rows.length === 0) return;
      await insertRows(
        context,
        STAT_EVENTS_TABLE,
        ['dossier_id', 'version', 'type', 'occurred_on', 'event_municipality', 'housing_type', 'reason', 'trajectory'],
        rows,
        'ON CONFLICT (dossier_id, version) DO NOTHING',
      );
      await recompute([...new Set(rows.map((row) => row[0] as string))], context);
    },
  };
}
