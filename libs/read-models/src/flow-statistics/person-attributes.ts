import { ageBandsSince, ERASED, isCalendarDate, SEXES, type Sex } from '@app/domain';
import type { RecordedEvent } from '@app/event-store';
import { isStorableDate } from '@app/platform';
import { readEach, type PersonalDataReader, type ProjectionContext } from '@app/projection-engine';
import { readDossierEvent } from '../read-dossier-event';

export const STAT_PERSONS_TABLE = 'stat_person_attributes';
export const PERSON_COLUMNS = ['dossier_id', 'valid_from', 'valid_to', 'sex', 'age_band'];

/**
 * What the breakdowns by sex and age band need of the persons a batch registers: per dossier,
 * runs of days in one age band from the registration on (ageBandsSince), each with the sex, as
 * rows of stat_person_attributes. The birth date is read through the personal-data reader (the
 * registration's sealed block, decrypted with the dossier's key) and dropped once the runs are
 * known; it is never stored or logged. A birth date that cannot be read (the key lost or not
 * unwrapping, the envelope altered, not a date) is unknown (NULL) and noted; one erased is unknown
 * too, as erasure means. A sex the domain does not know is unknown.
 */
export async function personRowsOf(events: readonly RecordedEvent[], context: ProjectionContext, personalData: PersonalDataReader): Promise<unknown[][]> {
  const registrations = events.filter((recorded) => recorded.type === 'DossierRegistered');
  if (registrations.length === 0) return [];
  const unreadable = new Set<string>();
  const revealed = new Map(
    (await personalData.reveal(registrations, context.query, (recorded) => unreadable.add(recorded.id))).map((recorded) => [recorded.id, recorded]),
  );
  const rows: unknown[][] = [];
  readEach(registrations, context, (recorded) => {
    const { dossierId, event } = readDossierEvent(revealed.get(recorded.id) ?? recorded);
    if (event.type !== 'DossierRegistered' || !isStorableDate(event.data.registeredOn)) return undefined;
    const birthDate = unreadable.has(recorded.id) ? undefined : (event.data.personal as { birthDate?: unknown }).birthDate;
    const known = typeof birthDate === 'string' && isCalendarDate(birthDate) && isStorableDate(birthDate);
    if (!known && birthDate !== ERASED) context.storedInSafeForm(recorded, [{ field: `${STAT_PERSONS_TABLE}.age_band`, storedAs: 'NULL' }]);
    const sex = SEXES.includes(event.data.sex as Sex) ? event.data.sex : null;
    for (const span of ageBandsSince(known ? birthDate : null, event.data.registeredOn)) {
      rows.push([dossierId, span.from, span.to, sex, span.ageBand === 'unknown' ? null : span.ageBand]);
    }
    return undefined;
  });
  return rows;
}

/** The dossiers whose personal data a batch erases. */
export function erasedIn(events: readonly RecordedEvent[], context: ProjectionContext): string[] {
  return readEach(
    events.filter((recorded) => recorded.type === 'PersonalDataErased'),
    context,
    (recorded) => readDossierEvent(recorded).dossierId,
  );
}

/**
 * Forgets what the age bands knew of the erased persons: each dossier keeps one row, from its
 * registration on, with its sex and age band unknown (NULL), what a rebuild makes of a
 * registration whose personal data reads erased.
 */
export async function forgetAgeBands(context: ProjectionContext, dossierIds: readonly string[]): Promise<void> {
  if (dossierIds.length === 0) return;
  const table = `${context.schema}.${STAT_PERSONS_TABLE}`;
  await context.query(
    `DELETE FROM ${table} AS a WHERE a.dossier_id = ANY($1::uuid[])
        AND EXISTS (SELECT 1 FROM ${table} AS b WHERE b.dossier_id = a.dossier_id AND b.valid_from < a.valid_from)`,
    [dossierIds],
  );
  await context.query(`UPDATE ${table} SET valid_to = NULL, age_band = NULL WHERE dossier_id = ANY($1::uuid[])`, [dossierIds]);
}
