import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  addDays,
  DEPARTURE_REASONS,
  decideInTurn,
  HOUSING_TYPES,
  INBURGERING_TRAJECTORIES,
  OTHER_RESIDENCE_STATUSES,
  RESIDENCE_STATUSES,
  REHOUSING_REASONS,
  type DossierCommand,
  type DossierEvent,
  type DossierState,
  type RegisteredDossier,
} from '@app/domain';
import { registered, testContext } from '@app/domain/testing';

/**
 * Generated dossier histories for the read models' specs: each command decided on the rules, at
 * days that sometimes go back (facts recorded late), with reopenings, residence status changes,
 * archiving and erasure.
 */

export const registeredState = (state: DossierState): RegisteredDossier => {
  if (state.status === 'unregistered') throw new Error('a history starts with its registration');
  return state;
};

/** Codes valid throughout, one in Brussels (no province), and Borsbeek, which merged into Antwerpen on 2025-01-01. */
const MUNICIPALITIES = ['11002', '44021', '24062', '21004', '11007'];

/** Commands at days after the registration (some earlier than the one before: facts recorded late). */
export const historyArbitrary = fc.record({
  municipality: fc.constantFrom(...MUNICIPALITIES),
  registeredOn: fc.integer({ min: 0, max: 900 }).map((day) => addDays('2022-03-01', day)),
  steps: fc.array(
    fc.tuple(
      fc.integer({ min: -20, max: 90 }),
      fc.oneof(
        { weight: 3, arbitrary: fc.record({ type: fc.constant('HousePerson' as const), housingType: fc.constantFrom(...HOUSING_TYPES), municipality: fc.constantFrom(...MUNICIPALITIES) }) },
        {
          weight: 2,
          arbitrary: fc.record({
            type: fc.constant('RehousePerson' as const),
            housingType: fc.constantFrom(...HOUSING_TYPES),
            municipality: fc.constantFrom(...MUNICIPALITIES),
            reason: fc.constantFrom(...REHOUSING_REASONS),
          }),
        },
        { weight: 2, arbitrary: fc.record({ type: fc.constant('EnrolInInburgering' as const), trajectory: fc.constantFrom(...INBURGERING_TRAJECTORIES) }) },
        { weight: 2, arbitrary: fc.record({ type: fc.constant('RegisterAtVdab' as const) }) },
        { weight: 3, arbitrary: fc.record({ type: fc.constant('StartEmployment' as const) }) },
        { weight: 2, arbitrary: fc.record({ type: fc.constant('EndEmployment' as const) }) },
        { weight: 2, arbitrary: fc.record({ type: fc.constant('RecordDeparture' as const), reason: fc.constantFrom(...DEPARTURE_REASONS) }) },
        {
          weight: 2,
          arbitrary: fc.record({
            type: fc.constant('ReopenDossier' as const),
            municipality: fc.constantFrom(null, ...MUNICIPALITIES),
            residenceStatus: fc.constantFrom(null, null, ...RESIDENCE_STATUSES),
          }),
        },
        { weight: 2, arbitrary: fc.record({ type: fc.constant('ChangeResidenceStatus' as const), status: fc.constantFrom(...OTHER_RESIDENCE_STATUSES) }) },
        { weight: 1, arbitrary: fc.constant({ type: 'ArchiveDossier' as const, closedBefore: null, reason: 'decommissioned', retainUntil: '2031-01-01' }) },
        { weight: 1, arbitrary: fc.constant({ type: 'ErasePersonalData' as const, reason: 'GDPR art. 17' }) },
      ),
    ),
    { maxLength: 16 },
  ),
  // Where the log cuts the history into the projection's batches.
  batchSize: fc.integer({ min: 1, max: 6 }),
});

export type GeneratedHistory = typeof historyArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** The events of a generated history, each command decided on the rules; a command they refuse records nothing. */
export function historyOf(dossierId: string, history: GeneratedHistory): { events: DossierEvent[]; state: RegisteredDossier } {
  let { events, state } = decideInTurn([{ ...registeredCommand(dossierId, history.municipality, history.registeredOn) }], testContext);
  let day = history.registeredOn;
  for (const [gap, step] of history.steps) {
    day = addDays(day, gap);
    const command = (step.type === 'ArchiveDossier' ? { ...step, on: day, runId: randomUUID() } : { ...step, on: day }) as DossierCommand;
    const decided = decideInTurn([command], testContext, state);
    events = [...events, ...decided.events];
    state = decided.state;
  }
  return { events, state: registeredState(state) };
}

const registeredCommand = (dossierId: string, municipality: string, registeredOn: string): DossierCommand => {
  const { data } = registered(dossierId, municipality, registeredOn) as Extract<DossierEvent, { type: 'DossierRegistered' }>;
  return {
    type: 'RegisterDossier',
    dossierId,
    person: { ...data.personal, sex: data.sex, nationality: data.nationality },
    protection: { attestationNumber: data.personal.attestationNumber, grantedOn: data.protectionGrantedOn },
    municipality,
    registeredOn,
  };
};

