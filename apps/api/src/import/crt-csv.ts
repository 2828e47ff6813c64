import { parse } from 'csv-parse/sync';
import {
  DEPARTURE_REASONS,
  HOUSING_TYPES,
  INBURGERING_TRAJECTORIES,
  isCalendarDate,
  normaliseNationalRegisterNumber,
  REHOUSING_REASONS,
  SEXES,
  type DossierCommand,
  type IsoDate,
  type RegisterDossier,
} from '@app/domain';

/**
 * The CSV export of a registration tool (docs/crt-import.md): one person per row, their stay
 * in the columns below, several housings, trajectories or jobs in one cell separated by `;`,
 * the parts of each by `|`.
 */
export const CRT_COLUMNS = [
  'given_name',
  'family_name',
  'birth_date',
  'sex',
  'nationality',
  'national_register_number',
  'attestation_number',
  'protection_granted_on',
  'registered_on',
  'municipality',
  'household_id',
  'housing',
  'inburgering',
  'vdab_registered_on',
  'employment',
  'left_on',
  'left_reason',
] as const;

export type ChangeCommand = Exclude<DossierCommand, RegisterDossier>;

/** A row turned into commands: the registration, then the facts of the stay in business order. */
export interface CrtRow {
  readonly line: number;
  /** What identifies the person across imports of the same export. */
  readonly key: string;
  readonly registration: Omit<RegisterDossier, 'dossierId'>;
  readonly commands: readonly ChangeCommand[];
}

export interface RowProblem {
  readonly line: number;
  readonly reason: string;
}

class RowError extends Error {}

const text = (record: Record<string, string>, column: string) => (record[column] ?? '').trim();
const optional = (value: string) => (value === '' ? null : value);

function date(value: string, column: string): IsoDate {
  if (!isCalendarDate(value)) throw new RowError(`${column} "${value}" is not a date as YYYY-MM-DD`);
  return value;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], column: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new RowError(`${column} "${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

function nis(value: string, column: string): string {
  if (!/^\d{5}$/.test(value)) throw new RowError(`${column} "${value}" is not a 5-digit NIS code`);
  return value;
}

const entries = (cell: string) => (cell === '' ? [] : cell.split(';').map((entry) => entry.split('|').map((part) => part.trim())));

/** Where each command goes among facts of the same day: a job ends before the next starts, departure last. */
const SAME_DAY_ORDER: Record<ChangeCommand['type'], number> = {
  HousePerson: 1,
  RehousePerson: 2,
  EnrolInInburgering: 3,
  RegisterAtVdab: 4,
  EndEmployment: 5,
  StartEmployment: 6,
  RecordDeparture: 9,
  ReopenDossier: 9,
  ArchiveDossier: 9,
  ErasePersonalData: 9,
};

function commandsOf(record: Record<string, string>): ChangeCommand[] {
  const commands: Array<ChangeCommand & { on: IsoDate }> = [];
  for (const [index, [on, housingType, municipality, reason]] of entries(text(record, 'housing')).entries()) {
    const type = oneOf(housingType ?? '', HOUSING_TYPES, 'housing type');
    const where = nis(municipality ?? '', 'housing municipality');
    if (index === 0) {
      commands.push({ type: 'HousePerson', housingType: type, municipality: where, on: date(on, 'housing date') });
    } else {
      const why = oneOf(reason ?? '', REHOUSING_REASONS, 'rehousing reason');
      commands.push({ type: 'RehousePerson', housingType: type, municipality: where, on: date(on, 'housing date'), reason: why });
    }
  }
  for (const [on, trajectory] of entries(text(record, 'inburgering'))) {
    commands.push({ type: 'EnrolInInburgering', trajectory: oneOf(trajectory ?? '', INBURGERING_TRAJECTORIES, 'trajectory'), on: date(on, 'inburgering date') });
  }
  const vdab = text(record, 'vdab_registered_on');
  if (vdab !== '') commands.push({ type: 'RegisterAtVdab', on: date(vdab, 'vdab_registered_on') });
  for (const [start, end] of entries(text(record, 'employment'))) {
    commands.push({ type: 'StartEmployment', on: date(start, 'employment start') });
    if (end) commands.push({ type: 'EndEmployment', on: date(end, 'employment end') });
  }
  const leftOn = text(record, 'left_on');
  if (leftOn !== '') {
    commands.push({ type: 'RecordDeparture', on: date(leftOn, 'left_on'), reason: oneOf(text(record, 'left_reason'), DEPARTURE_REASONS, 'left_reason') });
  } else if (text(record, 'left_reason') !== '') {
    throw new RowError('left_reason is given without left_on');
  }
  // Stable: facts of one day keep the order above, and a cell's own order within a kind.
  return commands
    .map((command, index) => ({ command, index }))
    .sort((a, b) => a.command.on.localeCompare(b.command.on) || SAME_DAY_ORDER[a.command.type] - SAME_DAY_ORDER[b.command.type] || a.index - b.index)
    .map(({ command }) => command);
}

function rowOf(record: Record<string, string>, line: number): CrtRow {
  const required = (column: string) => {
    const value = text(record, column);
    if (value === '') throw new RowError(`${column} is empty`);
    return value;
  };
  const nrn = optional(text(record, 'national_register_number'));
  const nationalRegisterNumber = nrn === null ? null : normaliseNationalRegisterNumber(nrn);
  if (nrn !== null && nationalRegisterNumber === null) throw new RowError('national_register_number is not 11 digits');
  const registration: Omit<RegisterDossier, 'dossierId'> = {
    type: 'RegisterDossier',
    person: {
      givenName: required('given_name'),
      familyName: required('family_name'),
      birthDate: date(required('birth_date'), 'birth_date'),
      sex: text(record, 'sex') === '' ? null : oneOf(text(record, 'sex'), SEXES, 'sex'),
      nationality: required('nationality').toUpperCase(),
      nationalRegisterNumber,
    },
    protection: { attestationNumber: optional(text(record, 'attestation_number')), grantedOn: date(required('protection_granted_on'), 'protection_granted_on') },
    municipality: nis(required('municipality'), 'municipality'),
    householdId: optional(text(record, 'household_id')),
    registeredOn: date(required('registered_on'), 'registered_on'),
  };
  if (!/^[A-Z]{3}$/.test(registration.person.nationality)) throw new RowError('nationality is not an ISO 3166-1 alpha-3 code such as UKR');
  const { person, protection } = registration;
  const key =
    person.nationalRegisterNumber ?? protection.attestationNumber ?? [person.familyName, person.givenName, person.birthDate, registration.registeredOn].join('|');
  return { line, key, registration, commands: commandsOf(record) };
}

/** Every row, parsed or with the reason it cannot be: a row with a problem imports nothing. */
export function parseCrtExport(content: string): { records: number; rows: CrtRow[]; problems: RowProblem[] } {
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    records = parse(content, { columns: true, bom: true, skip_empty_lines: true, trim: false, info: true, relax_column_count: false });
  } catch (error) {
    const line = (error as { lines?: number }).lines ?? 0;
    return { records: 0, rows: [], problems: [{ line, reason: `not a valid CSV file: ${(error as Error).message.split('\n')[0]}` }] };
  }
  const header = Object.keys(records[0]?.record ?? {});
  const missing = CRT_COLUMNS.filter((column) => records.length > 0 && !header.includes(column));
  if (missing.length > 0) return { records: records.length, rows: [], problems: [{ line: 1, reason: `missing columns: ${missing.join(', ')}` }] };
  const rows: CrtRow[] = [];
  const problems: RowProblem[] = [];
  for (const { record, info } of records) {
    try {
      rows.push(rowOf(record, info.lines));
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      problems.push({ line: info.lines, reason: error.message });
    }
  }
  return { records: records.length, rows, problems };
}
