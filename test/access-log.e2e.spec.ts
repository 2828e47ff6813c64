import { randomUUID } from 'node:crypto';
import { RequestMethod } from '@nestjs/common';
import { accessLogStatements } from '../apps/api/src/audit/access-log-statements';
import { SHOWS_DOSSIER_READ_HERE } from '../apps/api/src/audit/shows-personal-data.decorator';
import { DossierApi, expectProblem, expectStatus, queryDatabase } from './support/dossier-fixtures';
import { declaredRoutes } from './support/declared-routes';
import { waitForProjections } from './support/projections';
import { startTestApp, type TestApp } from './support/test-app';

interface Entry {
  actor: string;
  roles: string[];
  method: string;
  path: string;
  purpose: string | null;
  dossierIds: string[];
  correlationId: string;
}

/** What a route marked @ShowsDossierReadHere needs besides its dossier id to answer 200, by `Controller.handler`. */
const QUERY_OF_MARKED_ROUTE: Record<string, Record<string, string>> = {
  'DossiersController.diff': { from: '0', to: '1' },
};

/** Every response that shows personal data leaves a record of who, when, which dossiers and why. */
describe('access log over HTTP', () => {
  let testApp: TestApp;
  let staff: DossierApi;
  let auditorToken: string;
  let dossierId: string;

  beforeAll(async () => {
    testApp = await startTestApp();
    staff = new DossierApi(testApp, await testApp.token('staff', 'alice'));
    auditorToken = await testApp.token('auditor', 'audrey');
    dossierId = await staff.registered();
  });
  afterAll(() => testApp.close());

  const log = async (query: string, token = auditorToken) => {
    const response = await testApp.http().get(`/audit/access-log?${query}`).set('Authorization', `Bearer ${token}`);
    expectStatus(response, 200);
    return response.body as { items: Entry[]; total: number };
  };

  it('records a staff read of a dossier with the stated purpose and the correlation id', async () => {
    const correlationId = `corr-${randomUUID()}`;
    expectStatus(await staff.get(dossierId, { 'X-Purpose': 'update after phone call', 'X-Correlation-Id': correlationId }), 200);
    const { items } = await log(`dossierId=${dossierId}&actor=alice`);
    expect(items[0]).toMatchObject({
      actor: 'alice',
      roles: ['staff'],
      method: 'GET',
      path: `/dossiers/${dossierId}`,
      purpose: 'update after phone call',
      dossierIds: [dossierId],
      correlationId,
    });
  });

  it('records each read of a dossier once (with the read itself on the PostgreSQL store), and nothing for a dossier that does not exist', async () => {
    const actor = `reader-${randomUUID()}`;
    const reader = staff.as(await testApp.token('staff', actor));
    expectStatus(await reader.get(dossierId), 200);
    expectStatus(await reader.history(dossierId), 200);
    expectStatus(await reader.get(dossierId, {}).query({ asOf: new Date().toISOString() }), 200);
    const missing = randomUUID();
    expectProblem(await reader.get(missing), 404, 'dossier-not-found');
    expectProblem(await reader.history(missing), 404, 'dossier-not-found');
    const { items, total } = await log(`actor=${actor}`);
    expect(total).toBe(3);
    expect(items.map((item) => item.path).sort()).toEqual([`/dossiers/${dossierId}`, `/dossiers/${dossierId}`, `/dossiers/${dossierId}/history`]);
    expect(items.every((item) => item.dossierIds.length === 1 && item.dossierIds[0] === dossierId)).toBe(true);
  });

  it('records the read of every route marked @ShowsDossierReadHere: a route that forgets AccessLog.shownWithRead fails here', async () => {
    // Such a route has no interceptor that records for it: its handler must read through shownWithRead.
    const marked = declaredRoutes(testApp.app).filter((route) => Reflect.getMetadata(SHOWS_DOSSIER_READ_HERE, route.handler) === true);
    expect(marked.map((route) => route.name)).toEqual(expect.arrayContaining(['DossiersController.get', 'DossiersController.history', 'DossiersController.diff']));
    const actor = `sweeper-${randomUUID()}`;
    const token = await testApp.token('staff', actor);
    for (const route of marked) {
      const method = RequestMethod[route.method].toLowerCase() as 'get';
      const response = await testApp
        .http()
        [method](route.path.replace(':id', dossierId))
        .query(QUERY_OF_MARKED_ROUTE[route.name] ?? {})
        .set({ Authorization: `Bearer ${token}`, 'X-Purpose': `sweep of ${route.name}` });
      // A new route that needs more than its id to answer: give it an example in QUERY_OF_MARKED_ROUTE.
      expect({ route: route.name, status: response.status }).toEqual({ route: route.name, status: 200 });
    }
    const { items } = await log(`actor=${actor}`);
    const recorded = (name: string) => items.filter((item) => item.purpose === `sweep of ${name}`).map(({ path, dossierIds }) => ({ path, dossierIds }));
    for (const route of marked) {
      expect({ route: route.name, recorded: recorded(route.name) }).toEqual({
        route: route.name,
        recorded: [{ path: route.path.replace(':id', dossierId), dossierIds: [dossierId] }],
      });
    }
  });

  it('requires auditors to state a purpose, and records nothing for a refused read', async () => {
    const before = (await log(`dossierId=${dossierId}&actor=audrey`)).total;
    const refused = await testApp.http().get(`/dossiers/${dossierId}/history`).set('Authorization', `Bearer ${auditorToken}`);
    expectProblem(refused, 400, 'purpose-required');
    expect((await log(`dossierId=${dossierId}&actor=audrey`)).total).toBe(before);
    expectStatus(await staff.as(auditorToken).history(dossierId, { 'X-Purpose': 'audit 2026-11' }), 200);
    const { items, total } = await log(`dossierId=${dossierId}&actor=audrey`);
    expect(total).toBe(before + 1);
    expect(items[0]).toMatchObject({ path: `/dossiers/${dossierId}/history`, purpose: 'audit 2026-11', roles: ['auditor'] });
  });

  it('records every dossier a registry page showed, without the query string', async () => {
    const tag = `Tag${randomUUID().slice(0, 8)}`;
    const ids = [await staff.registered({ person: { familyName: tag } }), await staff.registered({ person: { familyName: tag } })];
    await waitForProjections(testApp);
    const page = await testApp.http().get(`/dossiers?q=${tag}`).set('Authorization', `Bearer ${staff.token}`);
    expectStatus(page, 200);
    const { items } = await log(`dossierId=${ids[0]}`);
    expect(items[0].path).toBe('/dossiers');
    // Written by the page's own statement: its dossiers in the page's order.
    expect(items[0].dossierIds).toEqual(page.body.items.map((item: { dossierId: string }) => item.dossierId));
    expect([...items[0].dossierIds].sort()).toEqual([...ids].sort());
    expect(JSON.stringify(items[0])).not.toContain(tag);
  });

  it('records an empty registry page as a look at no dossier, and nothing for an auditor who gave no purpose', async () => {
    const actor = `pager-${randomUUID()}`;
    const token = await testApp.token('auditor', actor);
    const nobody = `Nobody${randomUUID().slice(0, 8)}`;
    expectProblem(await testApp.http().get(`/dossiers?q=${nobody}`).set('Authorization', `Bearer ${token}`), 400, 'purpose-required');
    expect((await log(`actor=${actor}`)).total).toBe(0);
    const empty = await testApp.http().get(`/dossiers?q=${nobody}`).set({ Authorization: `Bearer ${token}`, 'X-Purpose': 'complaint 2026-118' });
    expectStatus(empty, 200);
    expect(empty.body.items).toEqual([]);
    const { items, total } = await log(`actor=${actor}`);
    expect(total).toBe(1);
    expect(items[0]).toMatchObject({ path: '/dossiers', purpose: 'complaint 2026-118', roles: ['auditor'], dossierIds: [] });
  });

  it('filters by time', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await log(`from=${encodeURIComponent(future)}`)).total).toBe(0);
    expect((await log(`to=${encodeURIComponent(future)}&dossierId=${dossierId}`)).total).toBeGreaterThan(0);
  });

  it('cannot be changed: not through the API, and not even directly in the database', async () => {
    for (const method of ['post', 'put', 'delete'] as const) {
      const response = await testApp.http()[method]('/audit/access-log').set('Authorization', `Bearer ${auditorToken}`);
      expectProblem(response, 405, 'method-not-allowed');
      expect(response.headers.allow).toBe('GET, HEAD');
    }
    await expect(queryDatabase(testApp.databaseUrl, 'DELETE FROM access_log')).rejects.toThrow(/append-only/);
    await expect(queryDatabase(testApp.databaseUrl, "UPDATE access_log SET actor = 'mallory'")).rejects.toThrow(/append-only/);
  });

  it('has no pending list in its index of dossier ids: no read waits while an insert merges one into the index', async () => {
    const [index] = await queryDatabase<{ options: string[] }>(testApp.databaseUrl, `SELECT reloptions AS options FROM pg_class WHERE relname = 'access_log_dossier_ids_idx'`);
    expect(index.options).toContain('fastupdate=off');
  });

  it("finds a dossier's records through the index of dossier ids, not by reading the whole log", async () => {
    // A log large enough for PostgreSQL to weigh its index against reading every record.
    await queryDatabase(
      testApp.databaseUrl,
      `INSERT INTO access_log (id, at, actor, roles, method, path, purpose, dossier_ids, correlation_id)
       SELECT gen_random_uuid(), timestamptz '2020-01-01' + g * interval '1 minute', 'filler-' || (g % 7), ARRAY['staff'], 'GET', '/dossiers/x',
              NULL, ARRAY[gen_random_uuid()], 'filler'
         FROM generate_series(1, 20000) g`,
    );
    await queryDatabase(testApp.databaseUrl, 'ANALYZE access_log');
    const { page, count } = accessLogStatements({ dossierId, page: 2, pageSize: 50 });
    for (const statement of [page, count]) {
      const plan = await queryDatabase<{ 'QUERY PLAN': string }>(testApp.databaseUrl, `EXPLAIN ${statement.sql}`, statement.parameters);
      expect(plan.map((line) => line['QUERY PLAN']).join('\n')).toContain('access_log_dossier_ids_idx');
    }
  });

  it('keys its records by time-ordered ids (UUID version 7), so the log grows at the end of its primary key', async () => {
    const actor = `ordered-${randomUUID()}`;
    const reader = staff.as(await testApp.token('staff', actor));
    for (let i = 0; i < 3; i++) {
      expectStatus(await reader.get(dossierId), 200);
      expectStatus(await reader.history(dossierId), 200);
      // Apart by a millisecond at least, so their times order them.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    // `at` is to the millisecond and a read and its history's may share one: then by id, as any order of the two would be right.
    const records = await queryDatabase<{ id: string }>(testApp.databaseUrl, 'SELECT id::text FROM access_log WHERE actor = $1 ORDER BY at, id', [actor]);
    expect(records).toHaveLength(6);
    for (const { id } of records) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab]/);
    const ids = records.map((record) => record.id);
    expect([...ids].sort()).toEqual(ids);
  });

  it('is for auditors only', async () => {
    for (const role of ['staff', 'admin', 'analyst'] as const) {
      const response = await testApp.http().get('/audit/access-log').set('Authorization', `Bearer ${await testApp.token(role)}`);
      expectProblem(response, 403, 'forbidden');
    }
    expectProblem(await testApp.http().get('/audit/access-log?dossierId=not-a-uuid').set('Authorization', `Bearer ${auditorToken}`), 400, 'validation-failed');
  });
});
