import { EARLIEST_SUPPORTED_DATE, isSupportedDate, nextDay } from '../iso-date';
import { isValidNationalRegisterNumber } from '../national-register-number';
import type { MunicipalityDirectory } from '../reference/municipality-directory';
import type {
  ArchiveDossier,
  ChangeResidenceStatus,
  DossierCommand,
  ErasePersonalData,
  EndEmployment,
  EnrolInInburgering,
  HousePerson,
  RecordDeparture,
  RegisterAtVdab,
  RegisterDossier,
  RehousePerson,
  ReopenDossier,
  StartEmployment,
} from './commands';
import { DossierNotFoundError, DossierRuleViolation } from './errors';
import { TEMPORARY_PROTECTION, type DossierEvent, type IsoDate } from './events';
import { evolve, initialState, type DossierState, type RegisteredDossier } from './state';

export interface DecisionContext {
  today: IsoDate;
  municipalities: MunicipalityDirectory;
}

/**
 * Turns a command into the events it records, or throws without recording anything.
 *
 * Rules are checked in this order, and the first one broken is reported:
 * 1. existence: `dossier-already-registered`, or DossierNotFoundError for any other command on
 *    an unregistered dossier; then `dossier-archived` for anything but an erasure; then
 *    `person-has-left` for the facts of a stay;
 * 2. the command against the dossier's state: `already-housed`, `not-housed`, `already-employed`,
 *    `not-employed`, `not-left`, `already-registered-at-vdab`, `already-enrolled-in-inburgering`,
 *    `already-has-residence-status`, `left-after-cutoff`, `personal-data-already-erased`;
 * 3. dates: `invalid-date`, `date-in-future`, `birth-date-not-in-past`, `date-before-registration`,
 *    `date-before-current-state`, `date-before-latest-event`, `date-after-departure`;
 * 4. the person: `invalid-national-register-number`;
 * 5. reference data: `unknown-municipality`.
 * So a staff member first learns that a command makes no sense at all, and only then that a
 * detail of it is wrong.
 */
export function decide(command: DossierCommand, state: DossierState, context: DecisionContext): DossierEvent[] {
  if (command.type === 'RegisterDossier') {
    if (state.status !== 'unregistered') {
      throw new DossierRuleViolation(
        'dossier-already-registered',
        `Dossier ${state.dossierId} is already registered. Update it with the other commands instead.`,
      );
    }
    return register(command, context);
  }
  if (state.status === 'unregistered') throw new DossierNotFoundError();
  if (command.type === 'ErasePersonalData') return erase(command, state);
  if (state.archived) {
    throw new DossierRuleViolation(
      'dossier-archived',
      `The dossier was archived on ${state.archived.on} and is read-only; it can still be read in the archive.`,
      { archivedOn: state.archived.on },
    );
  }
  if (command.type === 'ArchiveDossier') return archive(command, state);
  if (state.status === 'left' && command.type !== 'ReopenDossier') {
    throw new DossierRuleViolation(
      'person-has-left',
      `The person left on ${state.left?.on}, so the dossier is closed. Reopen it first if they came back.`,
      { leftOn: state.left?.on },
    );
  }
  switch (command.type) {
    case 'HousePerson':
      return house(command, state, context);
    case 'RehousePerson':
      return rehouse(command, state, context);
    case 'EnrolInInburgering':
      return enrol(command, state, context);
    case 'RegisterAtVdab':
      return registerAtVdab(command, state, context);
    case 'StartEmployment':
      return startEmployment(command, state, context);
    case 'EndEmployment':
      return endEmployment(command, state, context);
    case 'RecordDeparture':
      return recordDeparture(command, state, context);
    case 'ReopenDossier':
      return reopen(command, state, context);
    case 'ChangeResidenceStatus':
      return changeResidenceStatus(command, state, context);
  }
}

/** Where deciding commands in turn got to: the events, the state they fold to, and the violation that stopped it, if one did. */
export interface DecidedInTurn {
  events: DossierEvent[];
  state: DossierState;
  refusal?: DossierRuleViolation;
}

/**
 * Commands decided one after another, each on the state the ones before it left, as they would
 * be sent; the first one the rules refuse ends it (the rest is not decided). For whole histories
 * decided without a store: an import's row checked, generated histories, the bench's data.
 */
export function decideInTurn(commands: readonly DossierCommand[], context: DecisionContext, state: DossierState = initialState): DecidedInTurn {
  const events: DossierEvent[] = [];
  for (const command of commands) {
    let decided: DossierEvent[];
    try {
      decided = decide(command, state, context);
    } catch (error) {
      if (!(error instanceof DossierRuleViolation)) throw error;
      return { events, state, refusal: error };
    }
    events.push(...decided);
    state = decided.reduce(evolve, state);
  }
  return { events, state };
}

function register(command: RegisterDossier, context: DecisionContext): DossierEvent[] {
  const { person, protection } = command;
  requireCalendarDates({
    registeredOn: command.registeredOn,
    'protection.grantedOn': protection.grantedOn,
    'person.birthDate': person.birthDate,
  });
  requireNotInFuture(context, { registeredOn: command.registeredOn, 'protection.grantedOn': protection.grantedOn });
  if (person.birthDate >= context.today) {
    throw new DossierRuleViolation(
      'birth-date-not-in-past',
      `The birth date ${person.birthDate} is not before today (${context.today}). Check the birth date.`,
      { field: 'person.birthDate', date: person.birthDate, today: context.today },
    );
  }
  const nationalRegisterNumber = person.nationalRegisterNumber ?? null;
  if (nationalRegisterNumber !== null && !isValidNationalRegisterNumber(nationalRegisterNumber)) {
    throw new DossierRuleViolation(
      'invalid-national-register-number',
      'The national register number is not 11 digits with matching check digits. Check it on the ' +
        'residence document, or leave it empty if the person has none yet.',
      { field: 'person.nationalRegisterNumber' },
    );
  }
  requireMunicipality(context, command.municipality, command.registeredOn);
  return [
    {
      type: 'DossierRegistered',
      data: {
        dossierId: command.dossierId,
        personal: {
          givenName: person.givenName,
          familyName: person.familyName,
          birthDate: person.birthDate,
          nationalRegisterNumber,
          attestationNumber: protection.attestationNumber ?? null,
        },
        sex: person.sex ?? null,
        nationality: person.nationality.toUpperCase(),
        protectionGrantedOn: protection.grantedOn,
        municipality: command.municipality,
        householdId: command.householdId ?? null,
        registeredOn: command.registeredOn,
      },
    },
  ];
}

function house(command: HousePerson, state: RegisteredDossier, context: DecisionContext): DossierEvent[] {
  if (state.housing) {
    throw new DossierRuleViolation(
      'already-housed',
      `The person is already housed (${describeHousing(state.housing)}). Record a rehousing instead.`,
    );
  }
  requireBusinessDate(context, state, command.on);
  requireNotBefore('date-before-current-state', command.on, state.stayStartedOn, 'the start of the current stay');
  requireMunicipality(context, command.municipality, command.on);
  return [{ type: 'PersonHoused', data: { housingType: command.housingType, municipality: command.municipality, on: command.on } }];
}

function rehouse(command: RehousePerson, state: RegisteredDossier, context: DecisionContext): DossierEvent[] {
  const { housing } = state;
  if (!housing) {
    throw new DossierRuleViolation('not-housed', 'The person has no housing to move from. Record the first housing instead.');
  }
  requireBusinessDate(context, state, command.on);
  requireNotBefore('date-before-current-state', command.on, housing.since, `the current housing (${describeHousing(housing)})`);
  requireMunicipality(context, command.municipality, command.on);
  return [
    {
      type: 'PersonRehoused',
      data: {
        housingType: command.housingType,
        municipality: command.municipality,
        on: command.on,
        reason: command.reason,
        previousHousingType: housing.type,
        previousMunicipality: housing.municipality,
      },
    },
  ];
}

function enrol(command: EnrolInInburgering, state: RegisteredDossier, context: DecisionContext): DossierEvent[] {
  const { inburgering } = state;
  // The voortraject led into the inburgeringstraject, never the other way round.
  if (inburgering && (inburgering.trajectory === command.trajectory || inburgering.trajectory === 'inburgeringstraject')) {
    throw new DossierRuleViolation(
      'already-enrolled-in-inburgering',
      `The person is already enrolled in the ${inburgering.trajectory} since ${inburgering.enrolledOn}. ` +
        'Only a move from the voortraject to the inburgeringstraject can still be recorded.',
      { trajectory: inburgering.trajectory, enrolledOn: inburgering.enrolledOn },
    );
  }
  requireBusinessDate(context, state, command.on);
  if (inburgering) {
    requireNotBefore('date-before-current-state', command.on, inburgering.enrolledOn, 'the enrolment in the voortraject');
  }
  return [{ type: 'InburgeringEnrolled', data: { trajectory: command.trajectory, on: command.on } }];
}

function registerAtVdab(command: RegisterAtVdab, state: RegisteredDossier, context: DecisionContext): DossierEvent[] {
  if (state.vdab) {
    throw new DossierRuleViolation(
      'already-registered-at-vdab',
      `The person is already registered at VDAB since ${state.vdab.registeredOn}; a registration is recorded once.`,
      { registeredOn: state.vdab.registeredOn },
    );
  }
  requireBusinessDate(context, state, command.on);
  return [{ type: 'VdabRegistered', data: { on: command.on } }];
}

function startEmployment(command: StartEmployment, state: RegisteredDossier, context: DecisionContext): DossierEvent[] {
  if (state.employment) {
    throw new DossierRuleViolation(
      'already-employed',
      `The person is already employed since ${state.employment.since}. Record the end of that job first.`,
      { since: state.employment.since },
    );
  }
  requireBusinessDate(context, state, command.on);
  // A departure ends the job without an EmploymentEnded, so a job of this stay starts in it.
  requireNotBefore('date-before-current-state', command.on, state.stayStartedOn, 'the start of the current stay');
  if (state.lastEmploymentEndedOn) {
    requireNotBefore('date-before-current-state', command.on, state.lastEmploymentEndedOn, 'the end of the previous job');
  }
  return [{ type: 'EmploymentStarted', data: { on: command.on } }];
}

function endEmployment(command: EndEmployment, state: RegisteredDossier, context: DecisionContext): DossierEvent[] {
  const { employment } = state;
  if (!employment) {
    throw new DossierRuleViolation('not-employed', 'The person has no current job to end. Record the start of the job first.');
  }
  requireBusinessDate(context, state, command.on);
  requireNotBefore('date-before-current-state', command.on, employment.since, 'the start of the job');
  return [{ type: 'EmploymentEnded', data: { on: command.on, startedOn: employment.since } }];
}

function recordDeparture(command: RecordDeparture, state: RegisteredDossier, context: DecisionContext): DossierEvent[] {
  requireBusinessDate(context, state, command.on);
  // Nothing may be dated after a departure: the dossier must not show a closed stay still moving.
  requireNotBefore('date-before-latest-event', command.on, state.latestOccurredOn, 'the latest fact recorded in this stay');
  return [{ type: 'PersonLeft', data: { on: command.on, reason: command.reason } }];
}

function reopen(command: ReopenDossier, state: RegisteredDossier, context: DecisionContext): DossierEvent[] {
  const { left } = state;
  if (!left) {
    throw new DossierRuleViolation('not-left', 'The dossier is open: the person has not left. There is nothing to reopen.');
  }
  requireBusinessDate(context, state, command.on);
  requireNotBefore('date-before-current-state', command.on, left.on, 'the departure');
  const municipality = command.municipality ?? state.municipality;
  requireMunicipality(
    context,
    municipality,
    command.on,
    command.municipality ? '' : " It is the dossier's municipality: name the one the person is registered in now.",
  );
  const reopened: DossierEvent = { type: 'DossierReopened', data: { on: command.on, municipality } };
  // DossierReopened means "back under temporary protection" (as it always has); another status
  // the person comes back with is its own fact, recorded with it, so neither event changes meaning.
  const status = command.residenceStatus ?? TEMPORARY_PROTECTION;
  if (status === TEMPORARY_PROTECTION) return [reopened];
  return [reopened, { type: 'ResidenceStatusChanged', data: { on: command.on, status, previousStatus: TEMPORARY_PROTECTION } }];
}

function changeResidenceStatus(command: ChangeResidenceStatus, state: RegisteredDossier, context: DecisionContext): DossierEvent[] {
  const current = state.residenceStatus;
  if (current.status === command.status) {
    throw new DossierRuleViolation(
      'already-has-residence-status',
      `The person already has the residence status ${current.status} since ${current.since}; a change records a new status.`,
      { residenceStatus: current.status, since: current.since },
    );
  }
  requireBusinessDate(context, state, command.on);
  requireNotBefore('date-before-current-state', command.on, current.since, `the current residence status (${current.status})`);
  return [{ type: 'ResidenceStatusChanged', data: { on: command.on, status: command.status, previousStatus: current.status } }];
}

function archive(command: ArchiveDossier, state: RegisteredDossier): DossierEvent[] {
  const { closedBefore } = command;
  if (closedBefore !== null) {
    if (!state.left) {
      throw new DossierRuleViolation('not-left', 'The person has not left, so the dossier is not closed and stays out of this archive run.');
    }
    if (state.left.on >= closedBefore) {
      throw new DossierRuleViolation(
        'left-after-cutoff',
        `The person left on ${state.left.on}, not before ${closedBefore}; this archive run leaves the dossier alone.`,
        { leftOn: state.left.on, closedBefore },
      );
    }
  }
  return [
    {
      type: 'DossierArchived',
      data: { on: command.on, runId: command.runId, closedBefore, reason: command.reason, retainUntil: command.retainUntil },
    },
  ];
}

/** Allowed in any state, archived included: retention ends in an archive. */
function erase(command: ErasePersonalData, state: RegisteredDossier): DossierEvent[] {
  if (state.personalDataErased) {
    throw new DossierRuleViolation(
      'personal-data-already-erased',
      `The personal data of this dossier was already erased on ${state.personalDataErased.on}.`,
      { erasedOn: state.personalDataErased.on },
    );
  }
  return [{ type: 'PersonalDataErased', data: { on: command.on, reason: command.reason } }];
}

function describeHousing(housing: NonNullable<RegisteredDossier['housing']>): string {
  return `${housing.type} in ${housing.municipality} since ${housing.since}`;
}

function requireCalendarDates(dates: Record<string, IsoDate>): void {
  for (const [field, date] of Object.entries(dates)) {
    // The upper end of the supported range is after today: date-in-future speaks for it.
    if (!isSupportedDate(date)) {
      throw new DossierRuleViolation('invalid-date', `${field} ${date} is not a calendar date from ${EARLIEST_SUPPORTED_DATE} on. Write it as YYYY-MM-DD.`, {
        field,
        date,
      });
    }
  }
}

function requireNotInFuture(context: DecisionContext, dates: Record<string, IsoDate>): void {
  for (const [field, date] of Object.entries(dates)) {
    if (date > context.today) {
      throw new DossierRuleViolation(
        'date-in-future',
        `${field} ${date} is after today (${context.today}). Record facts once they have happened.`,
        { field, date, today: context.today },
      );
    }
  }
}

/** The checks every fact after registration shares: a real day, not ahead, within the dossier. */
function requireBusinessDate(context: DecisionContext, state: RegisteredDossier, on: IsoDate): void {
  requireCalendarDates({ on });
  requireNotInFuture(context, { on });
  requireNotBefore('date-before-registration', on, state.registeredOn, 'the registration');
  // A late fact may belong to an earlier stay, but never to the time the person was gone.
  const absence = state.absences.find((a) => a.leftOn < on && on < a.reopenedOn);
  if (absence) {
    throw new DossierRuleViolation(
      'date-after-departure',
      `${on} falls between the departure on ${absence.leftOn} and the reopening on ${absence.reopenedOn}, ` +
        'when the person was not here. Check the date.',
      { field: 'on', date: on, leftOn: absence.leftOn, reopenedOn: absence.reopenedOn },
    );
  }
}

function requireNotBefore(
  rule: 'date-before-registration' | 'date-before-current-state' | 'date-before-latest-event',
  date: IsoDate,
  earliest: IsoDate,
  what: string,
): void {
  if (date < earliest) {
    throw new DossierRuleViolation(
      rule,
      `${date} is before ${what} on ${earliest}. Use a date on or after ${earliest}.`,
      { field: 'on', date, earliest },
    );
  }
}

function requireMunicipality(context: DecisionContext, nis: string, on: IsoDate, hint = ''): void {
  if (context.municipalities.find(nis, on)) return;
  const history = context.municipalities.history(nis);
  const extra = { municipality: nis, on };
  if (history.length === 0) {
    throw new DossierRuleViolation(
      'unknown-municipality',
      `NIS ${nis} is not a municipality in Flanders or Brussels. Use the 5-digit NIS code of the municipality.${hint}`,
      extra,
    );
  }
  const ended = history.filter((m) => m.validTo !== null && m.validTo < on).at(-1);
  let why: string;
  if (ended?.validTo) {
    const successor = ended.mergedInto ? context.municipalities.find(ended.mergedInto, on) : null;
    why = successor
      ? `merged into ${successor.nis} (${successor.name}) on ${nextDay(ended.validTo)}; use ${successor.nis}`
      : `was valid until ${ended.validTo}; use the NIS code valid on ${on}`;
  } else {
    why = `is valid only from ${history[0].validFrom}; use the NIS code valid on ${on}`;
  }
  const { name } = ended ?? history[0];
  throw new DossierRuleViolation('unknown-municipality', `NIS ${nis} (${name}) ${why}.${hint}`, extra);
}
