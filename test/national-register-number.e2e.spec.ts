import {
  DossierApi,
  expectProblem,
  expectRuleViolation,
  expectStatus,
  formatNationalRegisterNumber,
  freshNationalRegisterNumber,
  nationalRegisterNumber,
  queryDatabase,
  registrationBody,
} from './support/dossier-fixtures';
import { randomUUID } from 'node:crypto';
import { CommandBus } from '@nestjs/cqrs';
import type { RegisterDossier } from '../libs/domain/src';
import { NationalRegisterReservations, RegisterDossierCommand } from '@app/dossiers';
import { startTestApp, type TestApp } from './support/test-app';
import { onPostgresStore } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';

/**
 * A national register number belongs to one dossier: a second registration is a 409 that points
 * at the first, also when the registrations race; and the number never shows in a stream name.
 */
describe('national register number uniqueness over HTTP', () => {
  let testApp: TestApp;
  let api: DossierApi;
  const onPostgres = onPostgresStore();

  beforeAll(async () => {
    testApp = await startTestApp();
    api = new DossierApi(testApp, await testApp.token('staff', 'alice'));
    // On a shared EventStoreDB log the projections first catch up with every earlier suite's events.
    await waitForProjections(testApp, 90_000);
  }, 120_000);
  afterAll(() => testApp.close());

  /** A child born after 2000 (check digits over 2 followed by the base). */
  const nationalRegisterNumber2000s = () => {
    const birthDate = `2010-0${1 + Math.floor(Math.random() * 9)}-1${Math.floor(Math.random() * 10)}`;
    return { birthDate, nationalRegisterNumber: nationalRegisterNumber(birthDate, 1 + Math.floor(Math.random() * 998)) };
  };

  const personWith = (birthDate: string, nationalRegisterNumber: string) =>
    registrationBody({ person: { birthDate, nationalRegisterNumber } });

  /**
   * The dossiers that hold a number. Events store personal data encrypted, so this asks the CRT
   * registry (in PostgreSQL on either store) once it has caught up.
   */
  async function dossiersHolding(nationalRegisterNumber: string): Promise<string[]> {
    await waitForProjections(testApp);
    const rows = await queryDatabase<{ dossier_id: string }>(
      testApp.databaseUrl,
      'SELECT dossier_id::text FROM read_models.crt_dossiers WHERE national_register_number = $1',
      [nationalRegisterNumber],
    );
    return rows.map((row) => row.dossier_id);
  }

  it('refuses a second registration of the same number, however it is written, pointing at the first dossier', async () => {
    const { birthDate, nationalRegisterNumber } = freshNationalRegisterNumber();
    const first = await api.register(personWith(birthDate, nationalRegisterNumber));
    expectStatus(first, 201);
    const existingDossierId = first.body.dossierId;

    for (const written of [
      nationalRegisterNumber,
      formatNationalRegisterNumber(nationalRegisterNumber),
      nationalRegisterNumber.slice(0, 6) + '-' + nationalRegisterNumber.slice(6),
    ]) {
      const again = await api.register(
        registrationBody({ person: { birthDate, givenName: 'Someone', familyName: 'Else', nationalRegisterNumber: written } }),
      );
      const problem = expectRuleViolation(again, 'national-register-number-taken');
      expect(problem.existingDossierId).toBe(existingDossierId);
      expect(again.headers.location).toBeUndefined();
      // The problem names the dossier, not the number.
      expect(again.text).not.toContain(nationalRegisterNumber);
    }
    // The first dossier is untouched and still the only one.
    const view = await api.get(existingDossierId);
    expectStatus(view, 200);
    expect(view.body.version).toBe(1);
    expect(await dossiersHolding(nationalRegisterNumber)).toEqual([existingDossierId]);
  });

  it('a different number, or none, is not refused', async () => {
    const a = freshNationalRegisterNumber();
    const b = freshNationalRegisterNumber();
    expect(a.nationalRegisterNumber).not.toBe(b.nationalRegisterNumber);
    expectStatus(await api.register(personWith(a.birthDate, a.nationalRegisterNumber)), 201);
    expectStatus(await api.register(personWith(b.birthDate, b.nationalRegisterNumber)), 201);
    // Without a number, the same person data may be registered twice (no uniqueness on names).
    expectStatus(await api.register(registrationBody()), 201);
    expectStatus(await api.register(registrationBody()), 201);
  });

  it('10 concurrent registrations of one fresh number: exactly one 201, nine 409 pointing at it', async () => {
    const { birthDate, nationalRegisterNumber } = freshNationalRegisterNumber();
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api.register(
          registrationBody({
            person: {
              birthDate,
              givenName: `Racer${i}`,
              nationalRegisterNumber: i % 2 === 0 ? nationalRegisterNumber : formatNationalRegisterNumber(nationalRegisterNumber),
            },
          }),
        ),
      ),
    );
    const created = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status !== 201);
    expect(responses.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    const winner = created[0].body.dossierId;
    for (const response of refused) {
      const problem = expectRuleViolation(response, 'national-register-number-taken');
      expect(problem.existingDossierId).toBe(winner);
    }
    expectStatus(await api.get(winner), 200);
    expect(await dossiersHolding(nationalRegisterNumber)).toEqual([winner]);
  });

  // Skipped on EventStoreDB (reason): it reads or writes event_store.events directly, which only the PostgreSQL store has.
  (onPostgres ? it : it.skip)('never puts the number in a stream name (event_store.events)', async () => {
    const { birthDate, nationalRegisterNumber } = freshNationalRegisterNumber();
    expectStatus(await api.register(personWith(birthDate, formatNationalRegisterNumber(nationalRegisterNumber))), 201);
    const plain = freshNationalRegisterNumber();
    expectStatus(await api.register(personWith(plain.birthDate, plain.nationalRegisterNumber)), 201);
    const young = nationalRegisterNumber2000s();
    expectStatus(await api.register(personWith(young.birthDate, young.nationalRegisterNumber)), 201);
    const all = await queryDatabase<{ stream_id: string; type: string; stored: string }>(
      testApp.databaseUrl,
      `SELECT stream_id, type, data::text || metadata::text AS stored FROM event_store.events`,
    );
    // The numbers registered in this file (so the check below has something to find; events hold
    // them encrypted, the CRT registry in plain) ...
    await waitForProjections(testApp);
    const numbers = await queryDatabase<{ nrn: string }>(
      testApp.databaseUrl,
      'SELECT DISTINCT national_register_number AS nrn FROM read_models.crt_dossiers WHERE national_register_number IS NOT NULL',
    );
    expect(numbers.map((n) => n.nrn)).toEqual(expect.arrayContaining([nationalRegisterNumber, plain.nationalRegisterNumber, young.nationalRegisterNumber]));
    // ... and none of them, nor the date-and-serial part of one, appears in a stream name, nor in
    // an event (registrations hold them encrypted).
    for (const { nrn } of numbers) {
      for (const { stream_id, stored } of all) {
        expect(stored).not.toContain(nrn);
        expect(stream_id).not.toContain(nrn);
        expect(stream_id).not.toContain(nrn.slice(0, 9));
        expect(stream_id).not.toContain(formatNationalRegisterNumber(nrn));
      }
    }
    // Uniqueness is kept in the store: there is a reservation stream per number, named by a hash.
    const reservations = all.filter((e) => e.type === 'NationalRegisterNumberReserved');
    expect(new Set(reservations.map((e) => e.stream_id)).size).toBe(numbers.length);
    for (const { stream_id } of reservations) expect(stream_id).toMatch(/^nrn-reservation-[0-9a-f]{64}$/);
    // Dossier streams are dossier-<uuid>.
    for (const { stream_id } of all.filter((e) => e.type !== 'NationalRegisterNumberReserved')) {
      expect(stream_id).toMatch(/^dossier-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });

  describe('a reservation left by a registration that died before writing its dossier', () => {
    /** What a registration killed between its two appends leaves: the number reserved for a dossier that was never written. */
    async function reservedByADeadRegistration(nationalRegisterNumber: string): Promise<string> {
      const never = randomUUID();
      const reserved = await testApp.app
        .get(NationalRegisterReservations)
        .reserve(nationalRegisterNumber, never, { actor: 'crashed-staff', correlationId: randomUUID(), commandId: randomUUID() });
      expect(reserved).toBe(never);
      expectProblem(await api.get(never), 404, 'dossier-not-found');
      return never;
    }

    it('is taken at once by the registration sent again without an Idempotency-Key, which writes the dossier the reservation names', async () => {
      const { birthDate, nationalRegisterNumber } = freshNationalRegisterNumber();
      const reserved = await reservedByADeadRegistration(nationalRegisterNumber);
      const response = await api.register(personWith(birthDate, nationalRegisterNumber));
      expectStatus(response, 201);
      expect(response.body).toEqual({ dossierId: reserved, version: 1 });
      expect(response.headers.location).toBe(`/dossiers/${reserved}`);
      expect((await api.get(reserved)).body.person).toMatchObject({ birthDate, nationalRegisterNumber });
      // And from then on the number is taken by that dossier.
      const again = await api.register(personWith(birthDate, nationalRegisterNumber));
      expect(expectRuleViolation(again, 'national-register-number-taken').existingDossierId).toBe(reserved);
      expect(await dossiersHolding(nationalRegisterNumber)).toEqual([reserved]);
    });

    it('goes to exactly one of 10 registrations sent at once; the others are told which dossier has the number', async () => {
      const { birthDate, nationalRegisterNumber } = freshNationalRegisterNumber();
      const reserved = await reservedByADeadRegistration(nationalRegisterNumber);
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => api.register(registrationBody({ person: { birthDate, givenName: `Racer${i}`, nationalRegisterNumber } }))),
      );
      expect(responses.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
      for (const refused of responses.filter((r) => r.status === 409)) {
        expect(expectRuleViolation(refused, 'national-register-number-taken').existingDossierId).toBe(reserved);
      }
      expect(responses.find((r) => r.status === 201)?.body.dossierId).toBe(reserved);
      expect(await dossiersHolding(nationalRegisterNumber)).toEqual([reserved]);
    });

    it('run again by the same command (after a crash before its answer was kept), the registration finds the dossier it wrote', async () => {
      const { birthDate, nationalRegisterNumber } = freshNationalRegisterNumber();
      const reserved = await reservedByADeadRegistration(nationalRegisterNumber);
      const context = { actor: 'alice', correlationId: randomUUID(), commandId: randomUUID() };
      const command: RegisterDossier = {
        type: 'RegisterDossier',
        dossierId: randomUUID(),
        person: { givenName: 'Olena', familyName: 'Kovalenko', birthDate, nationality: 'UKR', nationalRegisterNumber },
        protection: { grantedOn: '2022-03-21' },
        municipality: '11002',
        registeredOn: '2022-03-24',
      };
      const bus = testApp.app.get(CommandBus);
      const first = await bus.execute(new RegisterDossierCommand(command, context));
      expect(first).toEqual({ dossierId: reserved, version: 1 });
      expect(await bus.execute(new RegisterDossierCommand(command, context))).toEqual(first);
      expect(await dossiersHolding(nationalRegisterNumber)).toEqual([reserved]);
    });
  });

  it('a registration refused by another rule reserves nothing: the number stays free', async () => {
    const { birthDate, nationalRegisterNumber } = freshNationalRegisterNumber();
    const refused = await api.register(registrationBody({ municipality: '25005', person: { birthDate, nationalRegisterNumber } }));
    expectRuleViolation(refused, 'unknown-municipality');
    expectStatus(await api.register(personWith(birthDate, nationalRegisterNumber)), 201);
  });
});
