import { fold } from '../index';
import { municipalityDirectory } from '../reference/municipality-directory';
import { given, testContext, TODAY } from '../testing/decider-specification';
import { decideInTurn } from './decide';
import type { DossierCommand, RegisterDossier } from './commands';
import type { DossierEvent, DossierRegistered } from './events';
import type { DossierState } from './state';

/** A real-shaped national register number: born 30 July 1985, serial 033. */
const nrn = (() => {
  const base = '850730033';
  return base + String(97 - (Number(base) % 97)).padStart(2, '0');
})();

const register: RegisterDossier = {
  type: 'RegisterDossier',
  dossierId: 'b6f1c1de-4c1a-4a53-9b0e-6f1f3c2a7d10',
  person: {
    givenName: 'Olena',
    familyName: 'Kovalenko',
    birthDate: '1985-07-30',
    sex: 'female',
    nationality: 'ukr',
    nationalRegisterNumber: nrn,
  },
  protection: { attestationNumber: 'TB-2022-004711', grantedOn: '2022-03-15' },
  municipality: '11002',
  householdId: 'household-7',
  registeredOn: '2022-03-21',
};

const registered: DossierRegistered = {
  type: 'DossierRegistered',
  data: {
    dossierId: register.dossierId,
    personal: {
      givenName: 'Olena',
      familyName: 'Kovalenko',
      birthDate: '1985-07-30',
      nationalRegisterNumber: nrn,
      attestationNumber: 'TB-2022-004711',
    },
    sex: 'female',
    nationality: 'UKR',
    protectionGrantedOn: '2022-03-15',
    municipality: '11002',
    householdId: 'household-7',
    registeredOn: '2022-03-21',
  },
};

const housed: DossierEvent = { type: 'PersonHoused', data: { housingType: 'host-family', municipality: '11007', on: '2022-04-01' } };
const employed: DossierEvent = { type: 'EmploymentStarted', data: { on: '2024-05-01' } };
const left: DossierEvent = { type: 'PersonLeft', data: { on: '2025-03-01', reason: 'returned-to-ukraine' } };
const reopened: DossierEvent = { type: 'DossierReopened', data: { on: '2025-09-01', municipality: '11002' } };

const commandsAfterRegistration: DossierCommand[] = [
  { type: 'HousePerson', housingType: 'collective', municipality: '11002', on: '2025-10-01' },
  { type: 'RehousePerson', housingType: 'loi', municipality: '11002', on: '2025-10-01', reason: 'site-closed' },
  { type: 'EnrolInInburgering', trajectory: 'inburgeringstraject', on: '2025-10-01' },
  { type: 'RegisterAtVdab', on: '2025-10-01' },
  { type: 'StartEmployment', on: '2025-10-01' },
  { type: 'EndEmployment', on: '2025-10-01' },
  { type: 'RecordDeparture', on: '2025-10-01', reason: 'moved-abroad' },
  { type: 'ChangeResidenceStatus', on: '2025-10-01', status: 'single-permit' },
];

describe('dossier decider', () => {
  it('follows a person from registration through departure and return', () => {
    const steps: [DossierCommand, DossierEvent][] = [
      [register, registered],
      [
        { type: 'HousePerson', housingType: 'host-family', municipality: '11007', on: '2022-04-01' },
        housed,
      ],
      [
        { type: 'RehousePerson', housingType: 'collective', municipality: '11002', on: '2023-06-15', reason: 'host-placement-ended' },
        {
          type: 'PersonRehoused',
          data: {
            housingType: 'collective',
            municipality: '11002',
            on: '2023-06-15',
            reason: 'host-placement-ended',
            previousHousingType: 'host-family',
            previousMunicipality: '11007',
          },
        },
      ],
      [
        { type: 'EnrolInInburgering', trajectory: 'voortraject', on: '2022-09-01' },
        { type: 'InburgeringEnrolled', data: { trajectory: 'voortraject', on: '2022-09-01' } },
      ],
      [
        { type: 'EnrolInInburgering', trajectory: 'inburgeringstraject', on: '2024-01-15' },
        { type: 'InburgeringEnrolled', data: { trajectory: 'inburgeringstraject', on: '2024-01-15' } },
      ],
      [{ type: 'RegisterAtVdab', on: '2024-02-01' }, { type: 'VdabRegistered', data: { on: '2024-02-01' } }],
      [{ type: 'StartEmployment', on: '2024-05-01' }, employed],
      [{ type: 'EndEmployment', on: '2025-01-31' }, { type: 'EmploymentEnded', data: { on: '2025-01-31', startedOn: '2024-05-01' } }],
      [{ type: 'RecordDeparture', on: '2025-03-01', reason: 'returned-to-ukraine' }, left],
      [{ type: 'ReopenDossier', on: '2025-09-01' }, reopened],
      [
        { type: 'HousePerson', housingType: 'social-rental', municipality: '23106', on: '2025-09-15' },
        { type: 'PersonHoused', data: { housingType: 'social-rental', municipality: '23106', on: '2025-09-15' } },
      ],
    ];
    const history: DossierEvent[] = [];
    let state: DossierState | undefined;
    for (const [command, event] of steps) {
      state = given(history).when(command).then([event]);
      history.push(event);
    }
    expect(state).toEqual({
      status: 'active',
      dossierId: register.dossierId,
      person: {
        givenName: 'Olena',
        familyName: 'Kovalenko',
        birthDate: '1985-07-30',
        sex: 'female',
        nationality: 'UKR',
        nationalRegisterNumber: nrn,
      },
      protection: { attestationNumber: 'TB-2022-004711', grantedOn: '2022-03-15' },
      municipality: '11002',
      householdId: 'household-7',
      registeredOn: '2022-03-21',
      housing: { type: 'social-rental', municipality: '23106', since: '2025-09-15' },
      inburgering: { trajectory: 'inburgeringstraject', enrolledOn: '2024-01-15' },
      vdab: { registeredOn: '2024-02-01' },
      employment: null,
      everEmployed: true,
      lastEmploymentEndedOn: '2025-01-31',
      left: null,
      residenceStatus: { status: 'temporary-protection', since: '2025-09-01' },
      stayStartedOn: '2025-09-01',
      latestOccurredOn: '2025-09-15',
      absences: [{ leftOn: '2025-03-01', reopenedOn: '2025-09-01' }],
      archived: null,
      personalDataErased: null,
    });
    expect(fold(history)).toEqual(state);
  });

  describe('registration', () => {
    it('fills optional fields with null', () => {
      given([])
        .when({
          ...register,
          person: { givenName: 'Mykola', familyName: 'Shevchenko', birthDate: '2010-01-05', nationality: 'UKR' },
          protection: { grantedOn: '2022-03-15' },
          householdId: undefined,
        })
        .then([
          {
            type: 'DossierRegistered',
            data: {
              ...registered.data,
              personal: {
                givenName: 'Mykola',
                familyName: 'Shevchenko',
                birthDate: '2010-01-05',
                nationalRegisterNumber: null,
                attestationNumber: null,
              },
              sex: null,
              householdId: null,
            },
          },
        ]);
    });

    it('accepts a registration dated today in Brussels', () => {
      given([])
        .when({ ...register, municipality: '21004', registeredOn: TODAY })
        .then([{ type: 'DossierRegistered', data: { ...registered.data, municipality: '21004', registeredOn: TODAY } }]);
    });

    it('rejects registering a dossier twice', () => {
      given([registered]).when(register).thenThrows('dossier-already-registered');
    });

    it.each(commandsAfterRegistration.concat({ type: 'ReopenDossier', on: '2025-10-01' }))(
      'treats $type on a dossier never registered as not found',
      (command) => {
        given([]).when(command).thenNotFound();
      },
    );

    it('rejects a birth date that is not in the past', () => {
      given([]).when({ ...register, person: { ...register.person, birthDate: TODAY } }).thenThrows('birth-date-not-in-past');
    });

    it.each([
      ['wrong check digits', nrn.slice(0, 9) + String((Number(nrn.slice(9)) % 97) + 1).padStart(2, '0')],
      ['wrong length', nrn.slice(0, 10)],
    ])('rejects a national register number with %s', (_, nationalRegisterNumber) => {
      given([])
        .when({ ...register, person: { ...register.person, nationalRegisterNumber } })
        .thenThrows('invalid-national-register-number');
    });
  });

  describe('when the person has left', () => {
    it.each(commandsAfterRegistration)('rejects $type', (command) => {
      given([registered, left]).when(command).thenThrows('person-has-left', { leftOn: '2025-03-01' });
    });

    it('rejects reopening a dossier that is open', () => {
      given([registered]).when({ type: 'ReopenDossier', on: '2025-10-01' }).thenThrows('not-left');
    });

    it('reopens in a named municipality and drops what the departure closed', () => {
      const state = given([registered, housed, employed, left])
        .when({ type: 'ReopenDossier', on: '2025-10-01', municipality: '44021' })
        .then([{ type: 'DossierReopened', data: { on: '2025-10-01', municipality: '44021' } }]);
      expect(state).toMatchObject({
        status: 'active',
        municipality: '44021',
        housing: null,
        employment: null,
        everEmployed: true,
        left: null,
        stayStartedOn: '2025-10-01',
        latestOccurredOn: '2025-10-01',
      });
    });
  });

  describe('state rules', () => {
    it('rejects housing a person who is housed', () => {
      given([registered, housed])
        .when({ type: 'HousePerson', housingType: 'loi', municipality: '11002', on: '2023-01-01' })
        .thenThrows('already-housed');
    });

    it('rejects rehousing a person who is not housed', () => {
      given([registered])
        .when({ type: 'RehousePerson', housingType: 'loi', municipality: '11002', on: '2023-01-01', reason: 'other' })
        .thenThrows('not-housed');
    });

    it('rejects starting a job while employed', () => {
      given([registered, employed]).when({ type: 'StartEmployment', on: '2024-06-01' }).thenThrows('already-employed');
    });

    it('rejects ending a job when not employed', () => {
      given([registered]).when({ type: 'EndEmployment', on: '2024-06-01' }).thenThrows('not-employed');
    });

    it('rejects a second VDAB registration', () => {
      given([registered, { type: 'VdabRegistered', data: { on: '2023-01-01' } }])
        .when({ type: 'RegisterAtVdab', on: '2024-01-01' })
        .thenThrows('already-registered-at-vdab');
    });

    it.each([
      ['voortraject', 'voortraject'],
      ['inburgeringstraject', 'inburgeringstraject'],
      ['inburgeringstraject', 'voortraject'],
    ] as const)('rejects enrolling in %s and then in %s', (first, second) => {
      given([registered, { type: 'InburgeringEnrolled', data: { trajectory: first, on: '2023-01-01' } }])
        .when({ type: 'EnrolInInburgering', trajectory: second, on: '2024-01-01' })
        .thenThrows('already-enrolled-in-inburgering');
    });
  });

  describe('dates', () => {
    it.each([
      ['registeredOn', { ...register, registeredOn: '2023-02-30' }],
      ['the birth date', { ...register, person: { ...register.person, birthDate: '2023-02-29' } }],
      ['the grant date', { ...register, protection: { grantedOn: '2022-3-15' } }],
      ['a birth date in the year 0000', { ...register, person: { ...register.person, birthDate: '0000-01-01' } }],
      ['a birth date before 1900', { ...register, person: { ...register.person, birthDate: '1899-12-31' } }],
    ])('rejects a registration with %s not a calendar date', (_, command) => {
      given([]).when(command).thenThrows('invalid-date');
    });

    it('rejects a fact dated on a day that does not exist', () => {
      given([registered]).when({ type: 'RegisterAtVdab', on: '2024-13-01' }).thenThrows('invalid-date', { date: '2024-13-01' });
    });

    it.each([
      ['registeredOn', { ...register, registeredOn: '2026-11-24' }],
      ['protection.grantedOn', { ...register, protection: { grantedOn: '2026-11-24' } }],
    ])('rejects a registration with %s after today', (field, command) => {
      given([]).when(command).thenThrows('date-in-future', { field });
    });

    it('rejects a fact dated after today', () => {
      given([registered])
        .when({ type: 'HousePerson', housingType: 'loi', municipality: '11002', on: '2026-11-24' })
        .thenThrows('date-in-future', { field: 'on', date: '2026-11-24', today: TODAY });
    });

    it('rejects a fact dated before the registration', () => {
      given([registered])
        .when({ type: 'RegisterAtVdab', on: '2022-03-20' })
        .thenThrows('date-before-registration', { earliest: '2022-03-21' });
    });

    it('rejects rehousing before the current housing began', () => {
      given([registered, housed])
        .when({ type: 'RehousePerson', housingType: 'loi', municipality: '11002', on: '2022-03-31', reason: 'other' })
        .thenThrows('date-before-current-state', { earliest: '2022-04-01' });
    });

    it('rejects ending a job before it started', () => {
      given([registered, employed]).when({ type: 'EndEmployment', on: '2024-04-30' }).thenThrows('date-before-current-state');
    });

    it('rejects starting a job before the previous one ended', () => {
      given([registered, employed, { type: 'EmploymentEnded', data: { on: '2024-09-30', startedOn: '2024-05-01' } }])
        .when({ type: 'StartEmployment', on: '2024-09-01' })
        .thenThrows('date-before-current-state', { earliest: '2024-09-30' });
    });

    it('rejects housing dated in an earlier stay once the dossier was reopened', () => {
      given([registered, housed, left, reopened])
        .when({ type: 'HousePerson', housingType: 'loi', municipality: '11002', on: '2024-08-31' })
        .thenThrows('date-before-current-state', { earliest: '2025-09-01' });
    });

    it('rejects a job dated in an earlier stay once the dossier was reopened', () => {
      given([registered, employed, left, reopened])
        .when({ type: 'StartEmployment', on: '2024-08-31' })
        .thenThrows('date-before-current-state', { earliest: '2025-09-01' });
    });

    it.each<DossierCommand>([
      { type: 'HousePerson', housingType: 'loi', municipality: '11002', on: '2025-08-31' },
      { type: 'StartEmployment', on: '2025-03-02' },
      { type: 'RegisterAtVdab', on: '2025-06-15' },
      { type: 'EnrolInInburgering', trajectory: 'inburgeringstraject', on: '2025-06-15' },
    ])('rejects $type dated while the person was gone (between departure and reopening)', (command) => {
      given([registered, left, reopened])
        .when(command)
        .thenThrows('date-after-departure', { leftOn: '2025-03-01', reopenedOn: '2025-09-01' });
    });

    it('accepts a late fact of an earlier stay that needs no current state, and the departure and reopening days', () => {
      given([registered, left, reopened])
        .when({ type: 'RegisterAtVdab', on: '2024-02-01' })
        .then([{ type: 'VdabRegistered', data: { on: '2024-02-01' } }]);
      given([registered, left, reopened])
        .when({ type: 'RegisterAtVdab', on: '2025-09-01' })
        .then([{ type: 'VdabRegistered', data: { on: '2025-09-01' } }]);
    });

    it('rejects reopening before the departure', () => {
      given([registered, left]).when({ type: 'ReopenDossier', on: '2025-02-28' }).thenThrows('date-before-current-state');
    });

    it('rejects the inburgeringstraject dated before the voortraject', () => {
      given([registered, { type: 'InburgeringEnrolled', data: { trajectory: 'voortraject', on: '2023-01-01' } }])
        .when({ type: 'EnrolInInburgering', trajectory: 'inburgeringstraject', on: '2022-12-31' })
        .thenThrows('date-before-current-state');
    });

    it('rejects a departure dated before the latest recorded fact', () => {
      given([registered, housed, employed])
        .when({ type: 'RecordDeparture', on: '2024-04-30', reason: 'moved-abroad' })
        .thenThrows('date-before-latest-event', { earliest: '2024-05-01' });
    });

    it('accepts a departure on the day of the latest recorded fact', () => {
      given([registered, employed])
        .when({ type: 'RecordDeparture', on: '2024-05-01', reason: 'deceased' })
        .then([{ type: 'PersonLeft', data: { on: '2024-05-01', reason: 'deceased' } }]);
    });
  });

  describe('municipalities', () => {
    it('rejects registering in Wallonia', () => {
      const violation = given([])
        .when({ ...register, municipality: '25005' })
        .thenThrows('unknown-municipality', { municipality: '25005', on: '2022-03-21' });
      expect(violation.detail).toContain('not a municipality in Flanders or Brussels');
    });

    it('says what a merged municipality became', () => {
      const violation = given([registered])
        .when({ type: 'HousePerson', housingType: 'loi', municipality: '11007', on: '2025-02-01' })
        .thenThrows('unknown-municipality', { municipality: '11007', on: '2025-02-01' });
      expect(violation.detail).toBe('NIS 11007 (Borsbeek) merged into 11002 (Antwerpen) on 2025-01-01; use 11002.');
    });

    it('rejects a municipality that did not exist yet', () => {
      const violation = given([registered, housed])
        .when({ type: 'RehousePerson', housingType: 'loi', municipality: '23106', on: '2024-12-31', reason: 'moved-municipality' })
        .thenThrows('unknown-municipality');
      expect(violation.detail).toContain('valid only from 2025-01-01');
    });

    it('checks against the directory in the context', () => {
      const onlyGent = municipalityDirectory([
        {
          nis: '44021',
          name: 'Gent',
          province: { nis: '40000', name: 'Oost-Vlaanderen' },
          region: 'flanders',
          validFrom: '1977-01-01',
          validTo: null,
        },
      ]);
      const context = { today: TODAY, municipalities: onlyGent };
      given([]).when(register, context).thenThrows('unknown-municipality');
      given([])
        .when({ ...register, municipality: '44021' }, context)
        .then([{ type: 'DossierRegistered', data: { ...registered.data, municipality: '44021' } }]);
    });

    it('asks for a municipality when the dossier one merged away during the absence', () => {
      const inBorsbeek: DossierRegistered = { ...registered, data: { ...registered.data, municipality: '11007' } };
      const violation = given([inBorsbeek, left])
        .when({ type: 'ReopenDossier', on: '2025-09-01' })
        .thenThrows('unknown-municipality', { municipality: '11007', on: '2025-09-01' });
      expect(violation.detail).toContain("It is the dossier's municipality");
      given([inBorsbeek, left])
        .when({ type: 'ReopenDossier', on: '2025-09-01', municipality: '11002' })
        .then([reopened]);
    });
  });
  describe('residence status', () => {
    const singlePermit: DossierEvent = {
      type: 'ResidenceStatusChanged',
      data: { on: '2024-06-01', status: 'single-permit', previousStatus: 'temporary-protection' },
    };

    it('starts under temporary protection from the grant of protection', () => {
      expect(fold([registered])).toMatchObject({ residenceStatus: { status: 'temporary-protection', since: '2022-03-15' } });
    });

    it('records a move from temporary protection; the dossier stays active and its facts go on', () => {
      const state = given([registered, housed, employed])
        .when({ type: 'ChangeResidenceStatus', on: '2024-06-01', status: 'single-permit' })
        .then([singlePermit]);
      expect(state).toMatchObject({
        status: 'active',
        residenceStatus: { status: 'single-permit', since: '2024-06-01' },
        housing: { type: 'host-family' },
        employment: { since: '2024-05-01' },
        latestOccurredOn: '2024-06-01',
      });
      given([registered, housed, employed, singlePermit])
        .when({ type: 'RehousePerson', housingType: 'private-rental', municipality: '11002', on: '2024-07-01', reason: 'other' })
        .then([
          {
            type: 'PersonRehoused',
            data: { housingType: 'private-rental', municipality: '11002', on: '2024-07-01', reason: 'other', previousHousingType: 'host-family', previousMunicipality: '11007' },
          },
        ]);
    });

    it('moves between the other statuses, naming the one it replaces', () => {
      const state = given([registered, singlePermit])
        .when({ type: 'ChangeResidenceStatus', on: '2025-02-01', status: 'international-protection-applied' })
        .then([{ type: 'ResidenceStatusChanged', data: { on: '2025-02-01', status: 'international-protection-applied', previousStatus: 'single-permit' } }]);
      expect(state).toMatchObject({ residenceStatus: { status: 'international-protection-applied', since: '2025-02-01' } });
    });

    it('accepts a change on the day of the current status', () => {
      given([registered, singlePermit])
        .when({ type: 'ChangeResidenceStatus', on: '2024-06-01', status: 'student' })
        .then([{ type: 'ResidenceStatusChanged', data: { on: '2024-06-01', status: 'student', previousStatus: 'single-permit' } }]);
    });

    it('rejects the status the person already has', () => {
      given([registered, singlePermit])
        .when({ type: 'ChangeResidenceStatus', on: '2025-01-01', status: 'single-permit' })
        .thenThrows('already-has-residence-status', { residenceStatus: 'single-permit', since: '2024-06-01' });
    });

    it('rejects a change before the registration', () => {
      given([registered])
        .when({ type: 'ChangeResidenceStatus', on: '2022-03-20', status: 'student' })
        .thenThrows('date-before-registration', { earliest: '2022-03-21' });
    });

    it('rejects a change dated before the current status began', () => {
      given([registered, singlePermit])
        .when({ type: 'ChangeResidenceStatus', on: '2024-05-31', status: 'student' })
        .thenThrows('date-before-current-state', { earliest: '2024-06-01' });
    });

    it('rejects a change after a departure: on a closed dossier, and dated while the person was gone', () => {
      given([registered, left])
        .when({ type: 'ChangeResidenceStatus', on: '2025-04-01', status: 'student' })
        .thenThrows('person-has-left', { leftOn: '2025-03-01' });
      // Once reopened, the stay starts under temporary protection on the reopening day.
      given([registered, left, reopened])
        .when({ type: 'ChangeResidenceStatus', on: '2025-06-01', status: 'student' })
        .thenThrows('date-after-departure', { leftOn: '2025-03-01', reopenedOn: '2025-09-01' });
      given([registered, left, reopened])
        .when({ type: 'ChangeResidenceStatus', on: '2024-06-01', status: 'student' })
        .thenThrows('date-before-current-state', { earliest: '2025-09-01' });
    });

    it('rejects a change dated in the future', () => {
      given([registered]).when({ type: 'ChangeResidenceStatus', on: '2026-11-24', status: 'student' }).thenThrows('date-in-future');
    });

    it('holds a departure after it: nothing of the stay may follow the departure', () => {
      given([registered, singlePermit])
        .when({ type: 'RecordDeparture', on: '2024-05-31', reason: 'moved-abroad' })
        .thenThrows('date-before-latest-event', { earliest: '2024-06-01' });
    });

    it('keeps the status the person left with, and a reopening restores temporary protection', () => {
      const leftWithPermit: DossierEvent = { type: 'PersonLeft', data: { on: '2025-03-01', reason: 'moved-abroad' } };
      expect(fold([registered, singlePermit, leftWithPermit])).toMatchObject({
        status: 'left',
        residenceStatus: { status: 'single-permit', since: '2024-06-01' },
      });
      const state = given([registered, singlePermit, leftWithPermit]).when({ type: 'ReopenDossier', on: '2025-09-01' }).then([reopened]);
      expect(state).toMatchObject({ status: 'active', residenceStatus: { status: 'temporary-protection', since: '2025-09-01' } });
      given([registered, singlePermit, leftWithPermit])
        .when({ type: 'ReopenDossier', on: '2025-09-01', residenceStatus: 'temporary-protection' })
        .then([reopened]);
    });

    it('reopens with another status when the reopening names it: the reopening, then the change, on one day', () => {
      const state = given([registered, left])
        .when({ type: 'ReopenDossier', on: '2025-09-01', residenceStatus: 'family-reunification' })
        .then([
          reopened,
          { type: 'ResidenceStatusChanged', data: { on: '2025-09-01', status: 'family-reunification', previousStatus: 'temporary-protection' } },
        ]);
      expect(state).toMatchObject({ status: 'active', residenceStatus: { status: 'family-reunification', since: '2025-09-01' } });
    });
  });

  describe('archive', () => {
    const archiveRun = { type: 'ArchiveDossier', on: TODAY, runId: 'run-1', reason: null, retainUntil: '2031-11-23' } as const;
    const archived: DossierEvent = {
      type: 'DossierArchived',
      data: { on: TODAY, runId: 'run-1', closedBefore: '2025-06-01', reason: null, retainUntil: '2031-11-23' },
    };

    it('archives a dossier whose person left before the cut-off', () => {
      const state = given([registered, left]).when({ ...archiveRun, closedBefore: '2025-06-01' }).then([archived]);
      expect(state).toMatchObject({ status: 'left', archived: archived.data });
    });

    it('leaves an open dossier, or one closed on or after the cut-off, out of a closedBefore run', () => {
      given([registered]).when({ ...archiveRun, closedBefore: '2025-06-01' }).thenThrows('not-left');
      given([registered, left])
        .when({ ...archiveRun, closedBefore: '2025-03-01' })
        .thenThrows('left-after-cutoff', { leftOn: '2025-03-01', closedBefore: '2025-03-01' });
    });

    it('archives every dossier, open or closed, in a run without a cut-off', () => {
      const all = { ...archiveRun, closedBefore: null, reason: 'CRT decommissioned' };
      given([registered, housed]).when(all).then([{ type: 'DossierArchived', data: { ...archived.data, closedBefore: null, reason: 'CRT decommissioned' } }]);
    });

    it.each([...commandsAfterRegistration, { type: 'ReopenDossier', on: '2025-10-01' } as DossierCommand, { ...archiveRun, closedBefore: null }])(
      'refuses $type on an archived dossier',
      (command) => {
        given([registered, housed, left, archived]).when(command).thenThrows('dossier-archived', { archivedOn: TODAY });
      },
    );

    it('keeps registration ahead of the archive: an archived id cannot be registered again', () => {
      given([registered, archived]).when(register).thenThrows('dossier-already-registered');
    });

    it('does not move the dates of the stay: archiving is no fact of it', () => {
      const state = given([registered, housed]).when({ ...archiveRun, closedBefore: null }).then([
        { type: 'DossierArchived', data: { ...archived.data, closedBefore: null } },
      ]);
      expect(state).toMatchObject({ latestOccurredOn: '2022-04-01', stayStartedOn: '2022-03-21' });
    });
  });

  describe('erasure of personal data', () => {
    const erase = { type: 'ErasePersonalData', on: TODAY, reason: 'Request of the person (GDPR art. 17)' } as const;
    const erased: DossierEvent = { type: 'PersonalDataErased', data: { on: TODAY, reason: erase.reason } };
    const archived: DossierEvent = {
      type: 'DossierArchived',
      data: { on: TODAY, runId: 'run-1', closedBefore: null, reason: 'retention', retainUntil: TODAY },
    };

    it('erases in any state, archived included, and shows every personal field as [erased]', () => {
      for (const history of [[registered], [registered, housed, left], [registered, left, archived]]) {
        const state = given(history).when(erase).then([erased]);
        expect(state).toMatchObject({
          person: { givenName: '[erased]', familyName: '[erased]', birthDate: '[erased]', nationalRegisterNumber: '[erased]', sex: 'female', nationality: 'UKR' },
          protection: { attestationNumber: '[erased]', grantedOn: '2022-03-15' },
          personalDataErased: erased.data,
        });
      }
    });

    it('erases once', () => {
      given([registered, erased]).when(erase).thenThrows('personal-data-already-erased', { erasedOn: TODAY });
    });

    it('keeps the non-personal course of the dossier going', () => {
      given([registered, housed, erased])
        .when({ type: 'RegisterAtVdab', on: '2024-02-01' })
        .then([{ type: 'VdabRegistered', data: { on: '2024-02-01' } }]);
    });

    it('needs a registered dossier', () => {
      given([]).when(erase).thenNotFound();
    });
  });
});

describe('deciding commands in turn', () => {
  const house: DossierCommand = { type: 'HousePerson', housingType: 'collective', municipality: '11002', on: '2022-03-25' };

  it('decides each command on the state the ones before it left', () => {
    const { events, state, refusal } = decideInTurn([register, house], testContext);
    expect(events.map((e) => e.type)).toEqual(['DossierRegistered', 'PersonHoused']);
    expect(state).toEqual(fold(events));
    expect(refusal).toBeUndefined();
  });

  it('stops at the first command the rules refuse, with the violation', () => {
    const { events, state, refusal } = decideInTurn([register, house, house, { type: 'RegisterAtVdab', on: '2022-04-01' }], testContext);
    expect(events.map((e) => e.type)).toEqual(['DossierRegistered', 'PersonHoused']);
    expect(state).toMatchObject({ housing: { type: 'collective' }, vdab: null });
    expect(refusal?.rule).toBe('already-housed');
  });
});
