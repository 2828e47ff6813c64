import { Client } from 'pg';
import { DossierApi, expectProblem, expectStatus, queryDatabase } from './support/dossier-fixtures';
import { eventStoreOfItsOwn, type SuiteEventStore } from './support/event-store-under-test';
import { startAppOn, startTestApp, type TestApp } from './support/test-app';
import { until } from '@app/testing';

interface Status {
  name: string;
  state: string;
  position: { commit: string; prepare: string };
  head: { commit: string; prepare: string };
  lagEvents: number;
  lagSeconds: number;
  error: unknown;
}

/** The admin's view of the projections, and a rebuild over HTTP while commands keep coming. */
describe('projections over HTTP', () => {
  // Lag is asserted at a standstill (lagEvents 0), which other spec files appending to a shared log would break.
  let eventStore: SuiteEventStore;
  let testApp: TestApp;
  let admin: string;
  let staff: DossierApi;

  beforeAll(async () => {
    eventStore = await eventStoreOfItsOwn();
    testApp = await startTestApp(eventStore.env);
    admin = await testApp.token('admin', 'root');
    staff = new DossierApi(testApp, await testApp.token('staff', 'alice'));
  });
  afterAll(async () => {
    await testApp.close();
    await eventStore.stop();
  });

  const statuses = async (): Promise<Status[]> => {
    const response = await testApp.http().get('/projections').set('Authorization', `Bearer ${admin}`);
    expectStatus(response, 200);
    return response.body as Status[];
  };

  async function untilAll(accept: (status: Status) => boolean): Promise<Status[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const current = await statuses();
      if (current.every(accept)) return current;
      if (Date.now() > deadline) throw new Error(`Projections did not settle: ${JSON.stringify(current)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const upToDate = (status: Status) => status.state === 'live' && status.lagEvents === 0;

  it('is for admins only', async () => {
    expectProblem(await testApp.http().get('/projections'), 401, 'unauthenticated');
    for (const role of ['staff', 'analyst', 'auditor'] as const) {
      const token = await testApp.token(role);
      expectProblem(await testApp.http().get('/projections').set('Authorization', `Bearer ${token}`), 403, 'forbidden');
      expectProblem(
        await testApp.http().post('/projections/crt-registry/rebuild').set('Authorization', `Bearer ${token}`),
        403,
        'forbidden',
      );
    }
  });

  it('reports every projection live at the head once it has applied what was recorded', async () => {
    await staff.registered();
    const settled = await untilAll(upToDate);
    expect(settled.length).toBeGreaterThan(0);
    for (const status of settled) {
      expect(status).toMatchObject({ lagEvents: 0, lagSeconds: 0, error: null });
      expect(BigInt(status.position.commit)).toBeLessThanOrEqual(BigInt(status.head.commit));
    }
  });

  it('rebuilds a projection on request and is live again afterwards, with commands recorded meanwhile', async () => {
    const [first] = await statuses();
    const response = await testApp.http().post(`/projections/${first.name}/rebuild`).set('Authorization', `Bearer ${admin}`);
    expectStatus(response, 202);
    expect(response.body).toEqual({ projection: first.name, state: 'rebuilding' });
    await staff.registered();
    const settled = await untilAll(upToDate);
    expect(settled.find((status) => status.name === first.name)?.error).toBeNull();
  });

  it('answers 404 for an unknown projection', async () => {
    const response = await testApp.http().post('/projections/no-such-projection/rebuild').set('Authorization', `Bearer ${admin}`);
    expectProblem(response, 404, 'projection-not-found');
  });

  it('starts one rebuild of five asked for at once, across two instances: one 202, four 409', async () => {
    // A second instance on the same stores; it runs no projections, but rebuilds like any.
    const other = await startAppOn(testApp.databaseUrl, testApp.config.dataDir, { PROJECTIONS_IN_PROCESS: 'false', ...eventStore.env });
    const hold = new Client({ connectionString: testApp.databaseUrl });
    await hold.connect();
    try {
      // The rebuild that starts cannot switch over (it locks the live checkpoint) until this lets go: it runs throughout.
      await hold.query('BEGIN');
      await hold.query(`SELECT 1 FROM read_models.projection_checkpoints WHERE name = 'flow-statistics' FOR UPDATE`);
      const otherAdmin = await other.token('admin', 'root');
      const answers = await Promise.all(
        [testApp, other, testApp, other, testApp].map((app) =>
          app.http().post('/projections/flow-statistics/rebuild').set('Authorization', `Bearer ${app === other ? otherAdmin : admin}`),
        ),
      );
      expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409, 409, 409, 409]);
      for (const refused of answers.filter((answer) => answer.status === 409)) expectProblem(refused, 409, 'rebuild-in-progress');
      await until(async () => (await statuses()).find((status) => status.name === 'flow-statistics')?.state, (state) => state === 'rebuilding');
    } finally {
      await hold.query('ROLLBACK').catch(() => undefined);
      await hold.end();
    }
    try {
      await untilAll(upToDate);
      // Over, it can be asked for again: once its instance has let go of the rebuild lock, which follows the switch to live.
      const otherAdmin = await other.token('admin', 'root');
      const again = await until(
        () => other.http().post('/projections/flow-statistics/rebuild').set('Authorization', `Bearer ${otherAdmin}`),
        (answer) => answer.status !== 409,
        { what: 'the rebuild lock let go' },
      );
      expectStatus(again, 202);
      await untilAll(upToDate);
    } finally {
      await other.close();
    }
  });

  it('makes a projection that stops (a bug, not data) an alert with the event and position, never unreadiness, and never quotes the data', async () => {
    // A bug: the read model refuses a row, with the row's data in its message as PostgreSQL's own messages can have it.
    const name = `Zhuravlova${Date.now()}`;
    await queryDatabase(
      testApp.databaseUrl,
      `CREATE FUNCTION read_models.refuse_a_name() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN IF NEW.given_name = '${name}' THEN RAISE EXCEPTION 'cannot take %', NEW.given_name; END IF; RETURN NEW; END $$`,
    );
    await queryDatabase(testApp.databaseUrl, 'CREATE TRIGGER refuse_a_name BEFORE INSERT OR UPDATE ON read_models.crt_dossiers FOR EACH ROW EXECUTE FUNCTION read_models.refuse_a_name()');
    try {
      const stopper = await staff.registered({ person: { givenName: name } });
      type Stopped = Status & { error: { message: string; eventId: string; position: { commit: string } } };
      const stopped = (await until(
        async () => (await statuses()).find((status) => status.name === 'crt-registry'),
        (status) => status?.state === 'stopped',
      )) as Stopped;
      const [registration] = (await staff.history(stopper)).body.events as Array<{ eventId: string }>;
      expect(stopped.error.eventId).toBe(registration.eventId);
      expect(stopped.error.message).toContain(`stopped at event ${registration.eventId} (DossierRegistered`);
      expect(stopped.error.message).toContain('P0001');
      const everything = (await testApp.http().get('/projections').set('Authorization', `Bearer ${admin}`)).text;
      expect(everything).not.toContain(name);

      const metrics = (await testApp.http().get('/metrics')).text;
      expect(metrics).toContain(`projection_stopped_event_position{projection="crt-registry"} ${stopped.error.position.commit}`);
      expect(metrics).not.toMatch(/projection_stopped_event_position\{projection="flow-statistics"\}/);
      const ready = await testApp.http().get('/health/ready');
      expectStatus(ready, 200);
      expect(ready.body.details.projections['crt-registry']).toMatchObject({ state: 'stopped', stoppedAt: { eventId: registration.eventId } });
      // The other projections carry on.
      await staff.registered();
      await until(statuses, (all) => all.filter((status) => status.name !== 'crt-registry').every(upToDate));
    } finally {
      await queryDatabase(testApp.databaseUrl, 'DROP TRIGGER refuse_a_name ON read_models.crt_dossiers');
      await queryDatabase(testApp.databaseUrl, 'DROP FUNCTION read_models.refuse_a_name()');
    }
    // The bug fixed, a rebuild revives it.
    expectStatus(await testApp.http().post('/projections/crt-registry/rebuild').set('Authorization', `Bearer ${admin}`), 202);
    await untilAll(upToDate);
    // Metrics read the status at most once a second.
    await until(async () => (await testApp.http().get('/metrics')).text, (text) => !text.includes('projection_stopped_event_position{'));
  });
});
