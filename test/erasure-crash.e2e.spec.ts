import { dossierStreamId } from '../libs/domain/src';
import type { EventStore } from '@app/event-store';
import { openEventStore } from '@app/persistence';
import { NATIONAL_REGISTER_NUMBER_RELEASED, NationalRegisterReservations } from '@app/dossiers';
import { loadConfig, signDevToken, systemClock } from '../libs/platform/src';
import { DossierApi, expectRuleViolation, expectStatus, freshNationalRegisterNumber, PURPOSE, queryDatabase, registrationBody } from './support/dossier-fixtures';
import { eventStoreOfItsOwn, eventStoreUnderTest, type SuiteEventStore } from './support/event-store-under-test';
import { createPersistentTestDatabase, type PersistentTestDatabase } from './support/persistent-test-app';
import { waitForProjections } from './support/projections';
import { startServiceProcess } from './support/service-process';
import { TEST_DEV_SECRET, type TestApp } from './support/test-app';
import { until } from '@app/testing';

/** The erasure's steps in order (libs/dossiers/src/erasure), with the crash point after each. */
const CRASH_POINTS = [
  // Decided by the writer's cycle (the rules hold), not recorded yet: nothing has happened.
  'command:decided',
  // PersonalDataErased recorded; number and key not yet touched.
  'erasure:recorded',
  // The number released; the key not yet destroyed.
  'erasure:number-released',
  // The key destroyed; no answer sent.
  'erasure:key-destroyed',
] as const;

/**
 * The service, a real child process, is killed with SIGKILL between each pair of steps of an
 * erasure (CRASH_AT, libs/platform/src/crash-points.ts). Once the erasure is recorded, a restart
 * finishes it by itself (the check at start-up); before that nothing was done, and sending the
 * erasure again does it. Either way: one PersonalDataErased, the key destroyed, the number free,
 * the CRT registry showing "[erased]", and the erasure sent again answers 409.
 */
describe(`erasure killed between its steps (${eventStoreUnderTest()} store)`, () => {
  let eventStore: SuiteEventStore;
  let database: PersistentTestDatabase;
  let store: EventStore;
  let reservations: NationalRegisterReservations;
  let service: Awaited<ReturnType<typeof startServiceProcess>> | undefined;
  let app: TestApp | undefined;
  const dossiers = new Map<string, { dossierId: string; nationalRegisterNumber: string; birthDate: string }>();

  beforeAll(async () => {
    eventStore = await eventStoreOfItsOwn();
    database = await createPersistentTestDatabase();
    const first = await database.start(eventStore.env);
    try {
      const staff = new DossierApi(first, await first.token('staff', 'crash-staff'));
      for (const point of CRASH_POINTS) {
        const person = freshNationalRegisterNumber();
        dossiers.set(point, { ...person, dossierId: await staff.registered({ person }) });
      }
      await waitForProjections(first);
      store = await openEventStore({ eventStoreUrl: first.config.eventStoreUrl, databaseUrl: database.url });
      reservations = new NationalRegisterReservations(store, systemClock(first.config.timeZone), first.config);
    } finally {
      await first.close();
    }
  }, 60_000);

  afterEach(async () => {
    await service?.kill();
    service = undefined;
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
    await eventStore?.stop();
  });

  const env = () => ({ DATABASE_URL: database.url, DATA_DIR: database.dataDir, ...eventStore.env });

  async function erasuresOf(dossierId: string): Promise<number> {
    return (await store.readStream(dossierStreamId(dossierId))).filter((event) => event.type === 'PersonalDataErased').length;
  }
  async function keyDestroyed(dossierId: string): Promise<boolean> {
    const [key] = await queryDatabase<{ destroyed: boolean }>(
      database.url,
      'SELECT erased_at IS NOT NULL AND wrapped_key IS NULL AS destroyed FROM personal_data_keys WHERE dossier_id = $1',
      [dossierId],
    );
    return key.destroyed;
  }
  async function numberReleased(nationalRegisterNumber: string): Promise<boolean> {
    return (await store.readStream(reservations.streamFor(nationalRegisterNumber))).at(-1)?.type === NATIONAL_REGISTER_NUMBER_RELEASED;
  }
  const state = async (point: string) => {
    const { dossierId, nationalRegisterNumber } = dossiers.get(point)!;
    return {
      recorded: await erasuresOf(dossierId),
      numberReleased: await numberReleased(nationalRegisterNumber),
      keyDestroyed: await keyDestroyed(dossierId),
    };
  };

  it.each(CRASH_POINTS)('finishes an erasure killed at %s', async (point) => {
    const { dossierId, nationalRegisterNumber, birthDate } = dossiers.get(point)!;
    service = await startServiceProcess({ ...env(), CRASH_AT: point });
    const killed = service;
    // A token the child accepts: the tests' secret, the default issuer and audience.
    const admin = await signDevToken(loadConfig({ ...env(), AUTH_DEV_SECRET: TEST_DEV_SECRET }), { subject: 'crash-admin', roles: ['admin'] });
    const answer = await fetch(`${killed.url}/dossiers/${dossierId}/erasure`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'retention ended, ticket DPO-2011-7' }),
    }).then(
      (response) => `answered ${response.status}`,
      () => 'no answer',
    );
    expect(answer).toBe('no answer');
    expect(await killed.exited).toBeNull();
    expect(killed.child.signalCode).toBe('SIGKILL');

    // Where it stopped: each step done up to the crash point, none after.
    const steps = CRASH_POINTS.indexOf(point);
    expect(await state(point)).toEqual({ recorded: steps >= 1 ? 1 : 0, numberReleased: steps >= 2, keyDestroyed: steps >= 3 });

    app = await database.start(eventStore.env);
    const staff = new DossierApi(app, await app.token('staff', 'crash-staff'));
    if (steps === 0) {
      // Nothing was recorded: nothing to finish; the erasure sent again does it.
      expect(await state(point)).toEqual({ recorded: 0, numberReleased: false, keyDestroyed: false });
      const again = await app.http().post(`/dossiers/${dossierId}/erasure`).set('Authorization', `Bearer ${admin}`).send({ reason: 'sent again' });
      expectStatus(again, 201);
    }
    // The restart finishes what was recorded, by itself.
    expect(await until(() => state(point), (now) => now.numberReleased && now.keyDestroyed)).toEqual({ recorded: 1, numberReleased: true, keyDestroyed: true });
    const again = await app.http().post(`/dossiers/${dossierId}/erasure`).set('Authorization', `Bearer ${admin}`).send({ reason: 'once more' });
    expectRuleViolation(again, 'personal-data-already-erased');
    expect(await erasuresOf(dossierId)).toBe(1);

    await waitForProjections(app);
    const row = await app.http().get('/dossiers?pageSize=200').set({ Authorization: `Bearer ${staff.token}`, 'X-Purpose': PURPOSE });
    expectStatus(row, 200);
    expect((row.body.items as Array<{ dossierId: string; person: unknown }>).find((item) => item.dossierId === dossierId)?.person).toEqual({
      givenName: '[erased]',
      familyName: '[erased]',
      birthDate: '[erased]',
      nationalRegisterNumber: '[erased]',
    });
    // The number is free: the person can be registered anew.
    const anew = await staff.register(registrationBody({ person: { nationalRegisterNumber, birthDate } }));
    expectStatus(anew, 201);
    expect(anew.body.dossierId).not.toBe(dossierId);
  }, 120_000);
});
