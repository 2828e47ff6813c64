import type { DossierEvent, DossierEventType } from './events';

/** 'text': a string; 'text?': a string or null; 'object': a JSON object (the personal block, sealed or not). */
type FieldKind = 'text' | 'text?' | 'object';

/**
 * The fields of each event's data that readers rely on, with their JSON types. Dates are text
 * here: whether a date can be stored is the reader's concern (projections store a date
 * PostgreSQL refuses as NULL, docs/projections.md), not the event's shape.
 */
const EVENT_FIELDS: Readonly<Record<DossierEventType, Readonly<Record<string, FieldKind>>>> = {
  DossierRegistered: {
    dossierId: 'text',
    personal: 'object',
    sex: 'text?',
    nationality: 'text',
    protectionGrantedOn: 'text',
    municipality: 'text',
    householdId: 'text?',
    registeredOn: 'text',
  },
  PersonHoused: { housingType: 'text', municipality: 'text', on: 'text' },
  PersonRehoused: { housingType: 'text', municipality: 'text', on: 'text', reason: 'text', previousHousingType: 'text', previousMunicipality: 'text' },
  InburgeringEnrolled: { trajectory: 'text', on: 'text' },
  VdabRegistered: { on: 'text' },
  EmploymentStarted: { on: 'text' },
  EmploymentEnded: { on: 'text', startedOn: 'text' },
  PersonLeft: { on: 'text', reason: 'text' },
  DossierReopened: { on: 'text', municipality: 'text' },
  ResidenceStatusChanged: { on: 'text', status: 'text', previousStatus: 'text' },
  DossierArchived: { on: 'text', runId: 'text', closedBefore: 'text?', reason: 'text?', retainUntil: 'text' },
  PersonalDataErased: { on: 'text', reason: 'text' },
};

const PERSONAL_FIELDS: Readonly<Record<string, FieldKind>> = {
  givenName: 'text',
  familyName: 'text',
  birthDate: 'text',
  nationalRegisterNumber: 'text?',
  attestationNumber: 'text?',
};

/**
 * A stored event whose data does not have the shape of its type (a field missing or of another
 * JSON type): written by hand, by another tool, or by a bug. Names the field, never a value.
 */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
  constructor(
    readonly eventType: string,
    readonly field: string,
    readonly expected: string,
  ) {
    super(`${eventType}: ${field} is not ${expected}`);
  }
}

const EXPECTED: Record<FieldKind, string> = { text: 'a string', 'text?': 'a string or null', object: 'an object' };

/** A shape's fields as a list, made once: a projection checks every event it reads, and a list per check was most of what it allocated. */
type FieldList = ReadonlyArray<readonly [field: string, kind: FieldKind]>;

const fieldListOf = (fields: Readonly<Record<string, FieldKind>>): FieldList => Object.entries(fields);

const EVENT_FIELD_LISTS = Object.fromEntries(Object.entries(EVENT_FIELDS).map(([type, fields]) => [type, fieldListOf(fields)])) as Record<DossierEventType, FieldList>;
const PERSONAL_FIELD_LIST = fieldListOf(PERSONAL_FIELDS);

function check(eventType: string, prefix: string, value: unknown, fields: FieldList): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedEventError(eventType, prefix || 'data', 'an object');
  const record = value as Record<string, unknown>;
  for (const [field, kind] of fields) {
    const fieldValue = record[field];
    const fits =
      kind === 'object'
        ? typeof fieldValue === 'object' && fieldValue !== null && !Array.isArray(fieldValue)
        : typeof fieldValue === 'string' || (kind === 'text?' && fieldValue === null);
    if (!fits) throw new MalformedEventError(eventType, `${prefix}${field}`, EXPECTED[kind]);
  }
}

/** Throws MalformedEventError when the event's data lacks a field its type has, or has it as another JSON type. */
export function assertDossierEventShape(event: DossierEvent): void {
  check(event.type, 'data.', event.data, EVENT_FIELD_LISTS[event.type]);
}

/** The same for a registration's personal block once it is readable (decrypted, or ERASED). */
export function assertPersonalDataShape(personal: unknown): void {
  check('DossierRegistered', 'data.personal.', personal, PERSONAL_FIELD_LIST);
}
