import { parse } from 'csv-parse/sync';
import { textDefect } from '@app/platform';
import {
  DEPARTURE_REASONS,
  HOUSING_TYPES,
  INBURGERING_TRAJECTORIES,
  EARLIEST_SUPPORTED_DATE,
  OTHER_RESIDENCE_STATUSES,
  isSupportedDate,
  LATEST_SUPPORTED_DATE,
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

/**
 * Columns an export may leave out: the registration tools' own exports predate them, and a row
 * of a file without one simply has nothing in it.
 */
export const CRT_OPTIONAL_COLUMNS = ['residence_status'] as const;

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

/** A cell's text; the same text rule as a request's (no U+0000, control characters, unpaired surrogates). */
function text(record: Record<string, string>, column: string): string {
  const value = (record[column] ?? '').trim();
  if (textDefect(value)) throw new RowError(`${column} holds U+0000, another control character or an unpaired surrogate`);
  return value;
}

const optional = (value: string) => (value === '' ? null : value);

function date(value: string, column: string): IsoDate {
  if (!isSupportedDate(value)) {
    throw new RowError(`${column} "${value}" is not a date as YYYY-MM-DD from ${EARLIEST_SUPPORTED_DATE} to ${LATEST_SUPPORTED_DATE}`);
  }
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
  ChangeResidenceStatus: 7,
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
  for (const [on, status] of entries(text(record, 'residence_status'))) {
    commands.push({ type: 'ChangeResidenceStatus', status: oneOf(status ?? '', OTHER_RESIDENCE_STATUSES, 'residence status'), on: date(on, 'residence status date') });
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

/**
 * Encodings an export may come in: UTF-8 (what `--encoding` defaults to), or the Windows code page
 * that Excel's plain "CSV" writes on Western European Windows. As in browsers (WHATWG Encoding),
 * latin1 / ISO-8859-1 read as Windows-1252, which only adds printable characters (€, ‘ ’, …) where
 * ISO-8859-1 has control codes no name holds.
 */
const ENCODING_NAMES: Readonly<Record<string, CrtEncoding>> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'windows-1252': 'windows-1252',
  cp1252: 'windows-1252',
  latin1: 'windows-1252',
  'iso-8859-1': 'windows-1252',
};
export type CrtEncoding = 'utf-8' | 'windows-1252';
export const CRT_ENCODING_NAMES = Object.keys(ENCODING_NAMES);

/** The encoding a name given on the command line stands for; undefined for one not read. */
export function crtEncoding(name: string): CrtEncoding | undefined {
  return ENCODING_NAMES[name.trim().toLowerCase()];
}

/** The whole file refused before any row is imported: its encoding, separator, header or emptiness. */
export class CrtFileRefused extends Error {
  override readonly name = 'CrtFileRefused';
  constructor(
    /** The line of the file the problem is on (1: the header line). */
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];
/** Control characters (all but tab and the line breaks): no name or date holds one; a misread encoding does. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/**
 * The file's text, line by line checked: in UTF-8 (a byte-order mark is dropped) every line must be
 * valid UTF-8, else the file is refused with the first bad line, since a misread byte stored in
 * the append-only log could never be corrected. Windows-1252 reads any byte.
 */
export function decodeCrtExport(bytes: Uint8Array, encoding: CrtEncoding = 'utf-8'): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new CrtFileRefused(1, 'the file is in UTF-16 (Excel\'s "Unicode text"), which is not read: save it as "CSV UTF-8"');
  }
  const body = encoding === 'utf-8' && UTF8_BOM.every((byte, i) => bytes[i] === byte) ? bytes.subarray(3) : bytes;
  const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  const lines: string[] = [];
  let start = 0;
  for (let line = 1; start <= body.length; line++) {
    const end = body.indexOf(0x0a, start);
    const bytesOfLine = body.subarray(start, end === -1 ? body.length : end);
    let text: string;
    try {
      text = decoder.decode(bytesOfLine);
    } catch {
      throw new CrtFileRefused(
        line,
        'not valid UTF-8. Save the file as "CSV UTF-8", or, if it is in Windows-1252 or Latin-1 (Excel\'s plain "CSV" on Windows), ' +
          'import it with --encoding windows-1252',
      );
    }
    const control = CONTROL.exec(text);
    if (control) {
      const code = control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      throw new CrtFileRefused(line, `holds the control character U+${code}, which no name or date holds: is the file in another encoding?`);
    }
    lines.push(text);
    if (end === -1) break;
    start = end + 1;
  }
  return lines.join('\n');
}

/**
 * The separator, from the header line: `,`, or `;` as Excel saves CSV where the decimal mark is a
 * comma (Belgium). A cell holding the other one, such as several housings separated by `;`, is
 * quoted, as Excel does.
 */
function separatorOf(headerLine: string): ',' | ';' {
  const commas = headerLine.split(',').length - 1;
  const semicolons = headerLine.split(';').length - 1;
  if (commas > 0 && semicolons > 0) {
    throw new CrtFileRefused(1, 'the header line holds both "," and ";", so the separator is unclear: the column names are separated by one of them');
  }
  return semicolons > 0 ? ';' : ',';
}

/** The header, checked against the format: every column present (but the optional ones), none unknown, none twice. */
function checkHeader(header: readonly string[]): void {
  const known = new Set<string>([...CRT_COLUMNS, ...CRT_OPTIONAL_COLUMNS]);
  const unknown = header.filter((column) => !known.has(column));
  const twice = header.filter((column, index) => header.indexOf(column) !== index);
  const missing = CRT_COLUMNS.filter((column) => !header.includes(column));
  const problems = [
    unknown.length > 0 ? `unknown columns: ${unknown.map((column) => `"${column}"`).join(', ')}` : '',
    twice.length > 0 ? `columns given twice: ${[...new Set(twice)].join(', ')}` : '',
    missing.length > 0 ? `missing columns: ${missing.join(', ')}` : '',
  ].filter((problem) => problem !== '');
  if (problems.length > 0) throw new CrtFileRefused(1, `${problems.join('; ')} (the columns: docs/crt-import.md)`);
}

/**
 * Every row, parsed or with the reason it cannot be: a row with a problem imports nothing. A file
 * that cannot be read as an export at all (empty, no rows, unclear separator, columns other than
 * the format's, broken quoting) throws CrtFileRefused.
 */
export function parseCrtExport(content: string): { records: number; rows: CrtRow[]; problems: RowProblem[] } {
  if (content.trim() === '') throw new CrtFileRefused(1, 'the file is empty: an export has a header line and a row per person');
  const delimiter = separatorOf(content.slice(0, content.indexOf('\n') === -1 ? undefined : content.indexOf('\n')));
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  let header: readonly string[] = [];
  try {
    records = parse(content, {
      delimiter,
      columns: (names: string[]) => {
        const trimmed = names.map((name) => name.trim());
        checkHeader(trimmed);
        header = trimmed;
        return trimmed;
      },
      skip_empty_lines: true,
      trim: false,
      info: true,
      relax_column_count: false,
    });
  } catch (error) {
    if (error instanceof CrtFileRefused) throw error;
    const line = (error as { lines?: number }).lines ?? 1;
    throw new CrtFileRefused(line, `not a valid CSV file: ${(error as Error).message.split('\n')[0]}`);
  }
  if (header.length === 0 || records.length === 0) throw new CrtFileRefused(1, 'the file has a header line but no rows: nothing to import');
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

/** A file's bytes as rows: decoded (decodeCrtExport), then parsed (parseCrtExport). */
export function readCrtExport(bytes: Uint8Array, encoding: CrtEncoding = 'utf-8'): ReturnType<typeof parseCrtExport> {
  return parseCrtExport(decodeCrtExport(bytes, encoding));
}
