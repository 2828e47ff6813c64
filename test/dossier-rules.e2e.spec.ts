import {
  addDays,
  clockOnDay,
  COMMANDS,
  commandBody,
  DossierApi,
  expectNothingAppended,
  expectProblem,
  expectRuleViolation,
  freshNationalRegisterNumber,
  nationalRegisterNumber,
  queryDatabase,
  registrationBody,
  today,
  tomorrow,
  withWrongCheckDigits,
} from './support/dossier-fixtures';
import { startTestApp, type TestApp } from './support/test-app';
import { onPostgresStore } from './support/event-store-under-test';

/**
 * Every domain rule over HTTP: a 409 problem naming the rule, and nothing appended. Each refusal
 * is paired with the nearest command that is accepted, so a rule that refuses everything fails.
 */
describe('domain rules over HTTP', () => {
  let testApp: TestApp;
  let api: DossierApi;
  // The service's business day for this file: the date rules' boundary, fixed so that a run across
  // midnight in Brussels does not see two.
  const day = today();
  const dayAfter = addDays(day, 1);

  beforeAll(async () => {
    testApp = await startTestApp({}, { clock: clockOnDay(day) });
    api = new DossierApi(testApp, await testApp.token('staff', 'alice'));
  });
  afterAll(() => testApp.close());

  /** Registered 2022-03-24 in Antwerpen. */
  const registered = () => api.registered();

  async function refused(dossierId: string, command: (typeof COMMANDS)[number], body: Record<string, unknown>, rule: string) {
    const response = await expectNothingAppended(api, dossierId, () => api.command(dossierId, command, body));
    return expectRuleViolation(response, rule);
  }

  async function registrationRefused(body: Record<string, unknown>, rule: string) {
    const before = await countRegistrations();
    const response = await api.register(body);
    const problem = expectRuleViolation(response, rule);
    expect(response.headers.location).toBeUndefined();
    expect(await countRegistrations()).toBe(before);
    return problem;
  }

  async function countRegistrations(): Promise<number> {
    if (!onPostgresStore()) return 0; // events are not in PostgreSQL then
    const [row] = await queryDatabase<{ n: number }>(
      testApp.databaseUrl,
      `SELECT count(*)::int AS n FROM event_store.events WHERE type = 'DossierRegistered'`,
    );
    return row.n;
  }

  describe('state rules', () => {
    it('already-housed: housed twice', async () => {
      const id = await registered();
      await api.recorded(id, 'housed', { housingType: 'collective', municipality: '11002', on: '2022-04-01' });
      await refused(id, 'housed', { housingType: 'loi', municipality: '11002', on: '2022-05-01' }, 'already-housed');
    });

    it('not-housed: rehoused before any housing', async () => {
      const id = await registered();
      await refused(id, 'rehoused', { housingType: 'loi', municipality: '11002', on: '2022-05-01', reason: 'other' }, 'not-housed');
    });

    it('already-employed: a second job start while employed', async () => {
      const id = await registered();
      await api.recorded(id, 'employment-started', { on: '2023-01-02' });
      await refused(id, 'employment-started', { on: '2023-02-01' }, 'already-employed');
      // After the job ends a new one may start.
      await api.recorded(id, 'employment-ended', { on: '2023-03-01' });
      await api.recorded(id, 'employment-started', { on: '2023-04-01' });
    });

    it('not-employed: ending a job never started, and ending one twice', async () => {
      const id = await registered();
      await refused(id, 'employment-ended', { on: '2023-01-02' }, 'not-employed');
      await api.recorded(id, 'employment-started', { on: '2023-01-02' });
      await api.recorded(id, 'employment-ended', { on: '2023-06-30' });
      await refused(id, 'employment-ended', { on: '2023-07-01' }, 'not-employed');
    });

    it('not-left: reopening an open dossier', async () => {
      const id = await registered();
      await refused(id, 'reopened', { on: '2023-01-02' }, 'not-left');
      await refused(id, 'reopened', { on: '2023-01-02', municipality: '11002' }, 'not-left');
    });

    it('already-registered-at-vdab: a second VDAB registration', async () => {
      const id = await registered();
      await api.recorded(id, 'vdab-registered', { on: '2022-06-01' });
      await refused(id, 'vdab-registered', { on: '2023-06-01' }, 'already-registered-at-vdab');
    });

    it('already-enrolled-in-inburgering: same trajectory again, or back to the voortraject', async () => {
      const id = await registered();
      await api.recorded(id, 'inburgering-enrolled', { trajectory: 'voortraject', on: '2022-06-01' });
      await refused(id, 'inburgering-enrolled', { trajectory: 'voortraject', on: '2022-07-01' }, 'already-enrolled-in-inburgering');
      await api.recorded(id, 'inburgering-enrolled', { trajectory: 'inburgeringstraject', on: '2024-01-15' });
      await refused(id, 'inburgering-enrolled', { trajectory: 'inburgeringstraject', on: '2024-02-01' }, 'already-enrolled-in-inburgering');
      await refused(id, 'inburgering-enrolled', { trajectory: 'voortraject', on: '2024-02-01' }, 'already-enrolled-in-inburgering');
    });

    it('already-has-residence-status: the status the person has; another one moves on', async () => {
      const id = await registered();
      await api.recorded(id, 'status-changed', { on: '2024-02-01', status: 'international-protection-applied' });
      const problem = await refused(id, 'status-changed', { on: '2024-03-01', status: 'international-protection-applied' }, 'already-has-residence-status');
      expect(problem).toMatchObject({ residenceStatus: 'international-protection-applied', since: '2024-02-01' });
      await api.recorded(id, 'status-changed', { on: '2024-09-01', status: 'international-protection-granted' });
      expect((await api.get(id)).body.residenceStatus).toEqual({ status: 'international-protection-granted', since: '2024-09-01' });
    });

    it('person-has-left: every command but reopened is refused after the departure', async () => {
      const id = await registered();
      await api.recorded(id, 'housed', { housingType: 'collective', municipality: '11002', on: '2022-04-01' });
      await api.recorded(id, 'employment-started', { on: '2022-06-01' });
      await api.recorded(id, 'left', { on: '2022-08-01', reason: 'moved-abroad' });
      for (const command of COMMANDS.filter((c) => c !== 'reopened')) {
        const problem = await refused(id, command, commandBody(command, '2022-09-01'), 'person-has-left');
        expect(problem.leftOn).toBe('2022-08-01');
      }
      await api.recorded(id, 'reopened', { on: '2022-09-01' });
      // Open again: the departure no longer blocks anything.
      await api.recorded(id, 'housed', { housingType: 'loi', municipality: '11002', on: '2022-09-02' });
    });
  });

  describe('date rules', () => {
    it('date-in-future: tomorrow in Brussels, for registration and for a command; today is accepted', async () => {
      const problem = await registrationRefused(registrationBody({ registeredOn: dayAfter }), 'date-in-future');
      expect(problem.field).toBe('registeredOn');
      expect(problem.today).toBe(day);
      await registrationRefused(registrationBody({ protection: { grantedOn: dayAfter } }), 'date-in-future');

      // Each command in a state where only its date is wrong.
      const fresh = await registered();
      for (const command of ['housed', 'inburgering-enrolled', 'vdab-registered', 'employment-started', 'left'] as const) {
        await refused(fresh, command, commandBody(command, dayAfter), 'date-in-future');
      }
      const housedAndEmployed = await registered();
      await api.recorded(housedAndEmployed, 'housed', commandBody('housed', '2022-04-01'));
      await api.recorded(housedAndEmployed, 'employment-started', { on: '2022-05-01' });
      await refused(housedAndEmployed, 'rehoused', commandBody('rehoused', dayAfter), 'date-in-future');
      await refused(housedAndEmployed, 'employment-ended', { on: dayAfter }, 'date-in-future');
      await api.recorded(housedAndEmployed, 'left', { on: '2022-06-01', reason: 'unknown' });
      await refused(housedAndEmployed, 'reopened', commandBody('reopened', dayAfter), 'date-in-future');
      await refused(fresh, 'status-changed', commandBody('status-changed', dayAfter), 'date-in-future');

      await api.recorded(fresh, 'vdab-registered', { on: day });
      await api.recorded(fresh, 'status-changed', commandBody('status-changed', day));
      await api.recorded(housedAndEmployed, 'reopened', { on: day });
    });

    it('date-before-registration: a fact dated before the registration date', async () => {
      const id = await registered();
      await refused(id, 'housed', { housingType: 'collective', municipality: '11002', on: '2022-03-23' }, 'date-before-registration');
      await refused(id, 'vdab-registered', { on: '2022-01-01' }, 'date-before-registration');
      await refused(id, 'left', { on: '2022-03-01', reason: 'unknown' }, 'date-before-registration');
      await refused(id, 'status-changed', { on: '2022-03-23', status: 'student' }, 'date-before-registration');
      await api.recorded(id, 'housed', { housingType: 'collective', municipality: '11002', on: '2022-03-24' });
    });

    it('date-before-current-state: a rehousing dated before the housing it ends', async () => {
      const id = await registered();
      await api.recorded(id, 'housed', { housingType: 'collective', municipality: '11002', on: '2022-06-01' });
      const problem = await refused(
        id,
        'rehoused',
        { housingType: 'host-family', municipality: '11002', on: '2022-05-31', reason: 'site-closed' },
        'date-before-current-state',
      );
      expect(problem.earliest).toBe('2022-06-01');
      await api.recorded(id, 'rehoused', { housingType: 'host-family', municipality: '11002', on: '2022-06-01', reason: 'site-closed' });
    });

    it('date-before-current-state: a job ending before it started, a reopening before the departure', async () => {
      const id = await registered();
      await api.recorded(id, 'employment-started', { on: '2023-05-01' });
      await refused(id, 'employment-ended', { on: '2023-04-30' }, 'date-before-current-state');
      await api.recorded(id, 'left', { on: '2023-06-01', reason: 'moved-abroad' });
      await refused(id, 'reopened', { on: '2023-05-31' }, 'date-before-current-state');
    });

    it('date-before-current-state: a status change before the current status began; date-after-departure: while the person was gone', async () => {
      const id = await registered();
      await api.recorded(id, 'status-changed', { on: '2023-05-01', status: 'single-permit' });
      const problem = await refused(id, 'status-changed', { on: '2023-04-30', status: 'student' }, 'date-before-current-state');
      expect(problem.earliest).toBe('2023-05-01');
      await api.recorded(id, 'left', { on: '2023-06-01', reason: 'moved-abroad' });
      await api.recorded(id, 'reopened', { on: '2023-09-01' });
      await refused(id, 'status-changed', { on: '2023-07-01', status: 'student' }, 'date-after-departure');
      // The reopening started a new stay under temporary protection.
      await refused(id, 'status-changed', { on: '2023-05-15', status: 'student' }, 'date-before-current-state');
      await api.recorded(id, 'status-changed', { on: '2023-09-01', status: 'student' });
    });

    it('date-before-latest-event: a departure dated before a status change', async () => {
      const id = await registered();
      await api.recorded(id, 'status-changed', { on: '2023-05-01', status: 'family-reunification' });
      await refused(id, 'left', { on: '2023-04-30', reason: 'moved-abroad' }, 'date-before-latest-event');
    });

    it('date-before-latest-event: a departure dated before an earlier recorded fact', async () => {
      const id = await registered();
      await api.recorded(id, 'vdab-registered', { on: '2023-05-01' });
      const problem = await refused(id, 'left', { on: '2023-04-01', reason: 'returned-to-ukraine' }, 'date-before-latest-event');
      expect(problem.earliest).toBe('2023-05-01');
      await api.recorded(id, 'left', { on: '2023-05-01', reason: 'returned-to-ukraine' });
    });
  });

  describe('municipalities', () => {
    it('unknown-municipality: a Walloon code (25005) at registration and in housing', async () => {
      await registrationRefused(registrationBody({ municipality: '25005' }), 'unknown-municipality');
      await registrationRefused(registrationBody({ municipality: '99999' }), 'unknown-municipality');
      const id = await registered();
      await refused(id, 'housed', { housingType: 'collective', municipality: '25005', on: '2022-04-01' }, 'unknown-municipality');
      // Brussels is accepted.
      await api.recorded(id, 'housed', { housingType: 'collective', municipality: '21004', on: '2022-04-01' });
      await api.registered({ municipality: '21004' });
    });

    it('unknown-municipality: a merged code after 2025-01-01 (Borsbeek 11007), valid up to 2024-12-31', async () => {
      await registrationRefused(registrationBody({ municipality: '11007', registeredOn: '2025-01-01' }), 'unknown-municipality');
      const id = await registered();
      await api.recorded(id, 'housed', { housingType: 'host-family', municipality: '11007', on: '2024-12-31' });
      const problem = await refused(
        id,
        'rehoused',
        { housingType: 'host-family', municipality: '11007', on: '2025-01-01', reason: 'other' },
        'unknown-municipality',
      );
      expect(problem.municipality).toBe('11007');
      expect(problem.detail).toContain('11002');
      await api.recorded(id, 'rehoused', { housingType: 'host-family', municipality: '11002', on: '2025-01-01', reason: 'other' });
    });

    it('unknown-municipality: a new code before 2025 (Pajottegem 23106), valid from 2025-01-01', async () => {
      await registrationRefused(registrationBody({ municipality: '23106', registeredOn: '2024-12-31' }), 'unknown-municipality');
      await api.registered({ municipality: '23106', registeredOn: '2025-01-01' });
      const id = await registered();
      await refused(id, 'housed', { housingType: 'loi', municipality: '23106', on: '2024-06-01' }, 'unknown-municipality');
      await api.recorded(id, 'housed', { housingType: 'loi', municipality: '23106', on: '2025-01-01' });
    });

    it('unknown-municipality: reopening in 2025 defaults to a merged municipality; naming the new one works', async () => {
      const id = await api.registered({ municipality: '11007', registeredOn: '2023-01-10' });
      await api.recorded(id, 'left', { on: '2024-06-01', reason: 'moved-abroad' });
      await refused(id, 'reopened', { on: '2025-02-01' }, 'unknown-municipality');
      await refused(id, 'reopened', { on: '2025-02-01', municipality: '25005' }, 'unknown-municipality');
      await api.recorded(id, 'reopened', { on: '2025-02-01', municipality: '11002' });
    });
  });

  describe('registration', () => {
    it('birth-date-not-in-past: born today (or later) in Brussels', async () => {
      await registrationRefused(registrationBody({ person: { birthDate: day } }), 'birth-date-not-in-past');
      await registrationRefused(registrationBody({ person: { birthDate: dayAfter } }), 'birth-date-not-in-past');
    });

    it('invalid-national-register-number: wrong check digits, before and after 2000', async () => {
      for (const birthDate of ['1985-07-30', '2005-11-02']) {
        const valid = nationalRegisterNumber(birthDate, 123);
        const problem = await registrationRefused(
          registrationBody({ person: { birthDate, nationalRegisterNumber: withWrongCheckDigits(valid) } }),
          'invalid-national-register-number',
        );
        expect(problem.field).toBe('person.nationalRegisterNumber');
        await api.registered({ person: { birthDate, nationalRegisterNumber: valid } });
      }
    });

    it('a valid number from the test generator is accepted in every written form', async () => {
      const { birthDate, nationalRegisterNumber: digits } = freshNationalRegisterNumber();
      const id = await api.registered({ person: { birthDate, nationalRegisterNumber: digits } });
      const view = await api.get(id);
      expect(view.body.person.nationalRegisterNumber).toBe(digits);
    });

    it('refuses an unknown dossier command with 404 rather than a rule', async () => {
      const response = await api.command('0b7c1a62-6a8b-4b1e-9a44-0d6f0b9d2f11', 'housed', commandBody('housed', '2023-01-01'));
      expectProblem(response, 404, 'dossier-not-found');
    });
  });
});

// A guard on the helpers themselves, so the rule tests above cannot pass for the wrong reason.
describe('fixtures', () => {
  it('computes check digits as the register does (known numbers)', () => {
    expect(nationalRegisterNumber('1985-07-30', 33)).toBe('85073003328');
    // Born in 2000 or later: the base is prefixed with 2 before the modulo.
    expect(nationalRegisterNumber('2001-01-01', 1)).toBe(`010101001${String(97 - (2_010_101_001 % 97)).padStart(2, '0')}`);
    expect(nationalRegisterNumber('2001-01-01', 1)).not.toBe(`010101001${String(97 - (10_101_001 % 97)).padStart(2, '0')}`);
    const wrong = withWrongCheckDigits('85073003328');
    expect(wrong).not.toBe('85073003328');
    expect(wrong.slice(0, 9)).toBe('850730033');
  });

  it('today() is the Brussels calendar day', () => {
    const brussels = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Brussels' }).format(new Date());
    // Read between two readings of the calendar, so that midnight may fall anywhere in between.
    const before = brussels();
    const day = today();
    expect([before, brussels()]).toContain(day);
    expect(tomorrow() > day).toBe(true);
  });
});
