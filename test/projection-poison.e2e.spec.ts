import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { dossierStreamId, type PersonalData } from '../libs/domain/src';
import { UnstorableEventError, type EventStore, type EventToAppend } from '@app/event-store';
import { openEventStore } from '@app/persistence';
import { PersonalDataProtection, type SqlQuery } from '../libs/personal-data/src';
import { DossierApi, expectStatus, PURPOSE, queryDatabase } from './support/dossier-fixtures';
import { eventStoreOfItsOwn, eventStoreUnderTest, onPostgresStore, type SuiteEventStore } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';
import { startTestApp, type TestApp } from './support/test-app';

interface SafeFormEntry {
  eventId: string;
  type: string;
  position: { commit: string; prepare: string };
  fields: Array<{ field: string; storedAs: string }>;
  leftOut: string | null;
}
interface Status {
  name: string;
  state: string;
  lagEvents: number;
  error: unknown;
  safeForms: { count: number; events: SafeFormEntry[] };
}

/** What one projection is expected to note about one event: stand-ins by field, or why it was left out. */
type Expected = { fields: Record<string, string> } | { leftOut: string | RegExp };

const PROJECTIONS = ['crt-registry', 'flow-statistics', 'dossier-archive'] as const;
type ProjectionName = (typeof PROJECTIONS)[number];

/**
 * Events an earlier version could have written, with values PostgreSQL refuses (U+0000, unpaired
 * surrogates, 0000-01-01, 2022-02-30, ids that are no UUIDs) or that cannot be read at all,
 * appended straight to the store: every projection stays live, stores such values in a safe form
 * and lists those events in GET /projections (event, position, field; never a value), keeps
 * updating every other dossier, and a rebuild makes exactly the same read models. Text
 * PostgreSQL cannot store only reaches the EventStoreDB log (written past the adapter, which now
 * refuses it on both stores); the PostgreSQL store's jsonb never could hold it.
 */
describe(`projections and events PostgreSQL cannot store (${eventStoreUnderTest()} store)`, () => {
  let eventStore: SuiteEventStore;
  let testApp: TestApp;
  let store: EventStore;
  let raw: EventStoreDBClient | undefined;
  let admin: string;
  let staff: DossierApi;
  const expected = new Map<string, Partial<Record<ProjectionName, Expected>>>();
  /** The poisoned dossier, and one registered over HTTP after the poison. */
  const poisoned = randomUUID();
  let healthy: string;

  beforeAll(async () => {
    eventStore = await eventStoreOfItsOwn();
    testApp = await startTestApp(eventStore.env);
    store = await openEventStore({ eventStoreUrl: testApp.config.eventStoreUrl, databaseUrl: testApp.databaseUrl });
    raw = testApp.config.eventStoreUrl ? EventStoreDBClient.connectionString(testApp.config.eventStoreUrl) : undefined;
    admin = await testApp.token('admin', 'poison-admin');
    staff = new DossierApi(testApp, await testApp.token('staff', 'poison-staff'));
  }, 60_000);
  afterAll(async () => {
    await raw?.dispose();
    await store?.close();
    await testApp?.close();
    await eventStore?.stop();
  });

  const metadata = (occurredOn: unknown, recordedAt: unknown = new Date().toISOString()) => ({
    schemaVersion: 1,
    occurredOn,
    recordedAt,
    actor: 'an-earlier-version',
    correlationId: randomUUID(),
    causationId: randomUUID(),
  });
  const event = (type: string, data: Record<string, unknown>, recordedAt?: unknown): EventToAppend => ({
    id: randomUUID(),
    type,
    data,
    metadata: metadata(data.on ?? data.registeredOn, recordedAt),
  });

  /** As an earlier version wrote: through the adapter on PostgreSQL, past it (the raw client) on EventStoreDB. */
  async function appendAsEarlierVersion(streamId: string, events: EventToAppend[], version: number): Promise<void> {
    if (!raw) {
      await store.append(streamId, events, version === 0 ? 'no_stream' : version);
      return;
    }
    await raw.appendToStream(
      streamId,
      events.map((e) => jsonEvent({ id: e.id, type: e.type, data: e.data, metadata: e.metadata })),
    );
  }

  const statuses = async (): Promise<{ list: Status[]; text: string }> => {
    const response = await testApp.http().get('/projections').set('Authorization', `Bearer ${admin}`);
    expectStatus(response, 200);
    return { list: response.body as Status[], text: response.text };
  };

  const readModels = async () => {
    const tables: Record<string, unknown[]> = {};
    for (const [table, key] of [
      ['crt_dossiers', 'dossier_id'],
      ['dossier_archive', 'dossier_id'],
      ['stat_events', 'dossier_id, version, recorded_from'],
      ['stat_dossier_periods', 'dossier_id, valid_from, recorded_from'],
    ]) {
      tables[table] = await queryDatabase(testApp.databaseUrl, `SELECT * FROM read_models.${table} ORDER BY ${key}`);
    }
    return tables;
  };

  it('refuses text PostgreSQL cannot store on both stores, appending nothing', async () => {
    const stream = dossierStreamId(randomUUID());
    for (const data of [{ on: '2022-04-01', reason: 'x\u0000y' }, { on: '2022-04-01', reason: 'x\ud83d' }]) {
      await expect(store.append(stream, [event('PersonLeft', data)], 'no_stream')).rejects.toBeInstanceOf(UnstorableEventError);
    }
    expect(await store.readStream(stream)).toEqual([]);
  });

  it('keeps every projection live through such events, lists them, and keeps updating the other dossiers', async () => {
    const protection = testApp.app.get(PersonalDataProtection);
    const query: SqlQuery = (sql, parameters) => queryDatabase(testApp.databaseUrl, sql, parameters);
    const personal: PersonalData = {
      givenName: 'a\u0000b',
      familyName: 'x\ud83d',
      birthDate: '0000-01-01',
      nationalRegisterNumber: null,
      attestationNumber: 'TB\u0000',
    };
    // The personal block is sealed, so any store takes whatever it holds.
    const registration = event(
      'DossierRegistered',
      {
        dossierId: poisoned,
        personal: await protection.protect(query, poisoned, personal),
        sex: 'female',
        nationality: 'UKR',
        protectionGrantedOn: '2022-03-01',
        municipality: '11002',
        householdId: null,
        registeredOn: '2022-02-30',
      },
      'yesterday',
    );
    const housed = event('PersonHoused', { housingType: 'collective', municipality: '11002', on: '0000-01-01' });
    const malformed = event('VdabRegistered', {});
    const unknown = event('Teleported', { on: '2022-05-01' });
    const archived = event('DossierArchived', { on: '2026-11-23', runId: 'run-1', closedBefore: null, reason: null, retainUntil: '0000-12-31' });
    const poison = [registration, housed, malformed, unknown, archived];
    expected.set(registration.id, {
      'crt-registry': {
        fields: {
          'crt_dossiers.last_recorded_at': 'commit time',
          'crt_dossiers.given_name': 'U+FFFD',
          'crt_dossiers.family_name': 'U+FFFD',
          'crt_dossiers.birth_date': 'NULL',
          'crt_dossiers.registered_on': 'NULL',
        },
      },
      'flow-statistics': { leftOut: /^stat_events\.occurred_on: not a date PostgreSQL can store/ },
      'dossier-archive': { fields: { 'dossier_archive.last_recorded_at': 'commit time', 'dossier_archive.registered_on': 'NULL' } },
    });
    expected.set(housed.id, {
      'crt-registry': { fields: { 'crt_dossiers.housing_since': 'NULL' } },
      'flow-statistics': { leftOut: /^stat_events\.occurred_on/ },
    });
    const malformedNote = { leftOut: 'MalformedEventError: VdabRegistered: data.on is not a string' };
    expected.set(malformed.id, { 'crt-registry': malformedNote, 'flow-statistics': malformedNote, 'dossier-archive': malformedNote });
    const unknownNote = { leftOut: 'UnknownEventError' };
    expected.set(unknown.id, { 'crt-registry': unknownNote, 'flow-statistics': unknownNote, 'dossier-archive': unknownNote });
    expected.set(archived.id, { 'dossier-archive': { fields: { 'dossier_archive.run_id': 'NULL', 'dossier_archive.retain_until': 'NULL' } } });
    if (!onPostgresStore()) {
      // Text PostgreSQL cannot store, in plain fields: only an EventStoreDB log can hold it.
      const left = event('PersonLeft', { on: '2022-06-01', reason: 'x\u0000y' });
      const reopened = event('DossierReopened', { on: '2022-07-01', municipality: '1100\ud800' });
      poison.push(left, reopened);
      expected.set(left.id, {
        'crt-registry': { fields: { 'crt_dossiers.left_reason': 'U+FFFD' } },
        'flow-statistics': { fields: { 'stat_events.reason': 'U+FFFD' } },
        'dossier-archive': { fields: { 'dossier_archive.left_reason': 'U+FFFD' } },
      });
      expected.set(reopened.id, {
        'crt-registry': { fields: { 'crt_dossiers.municipality': 'U+FFFD' } },
        'flow-statistics': { fields: { 'stat_events.event_municipality': 'U+FFFD' } },
        'dossier-archive': { fields: { 'dossier_archive.municipality': 'U+FFFD' } },
      });
    }
    await appendAsEarlierVersion(dossierStreamId(poisoned), poison, 0);
    const elsewhere = event('VdabRegistered', { on: '2022-04-01' });
    await appendAsEarlierVersion('dossier-not-a-uuid', [elsewhere], 0);
    const streamNote = { leftOut: 'MalformedEventError: VdabRegistered: the stream id is not dossier-<uuid>' };
    expected.set(elsewhere.id, { 'crt-registry': streamNote, 'flow-statistics': streamNote, 'dossier-archive': streamNote });

    healthy = await staff.registered();
    await waitForProjections(testApp);
    const { list, text } = await statuses();
    const positions = new Map((await store.readAll({ maxCount: 1000 })).map((e) => [e.id, e.position]));
    for (const name of PROJECTIONS) {
      const status = list.find((candidate) => candidate.name === name)!;
      expect({ name, state: status.state, error: status.error }).toEqual({ name, state: 'live', error: null });
      const wanted = [...expected].filter(([, byProjection]) => byProjection[name]);
      expect({ name, count: status.safeForms.count }).toEqual({ name, count: wanted.length });
      for (const [eventId, byProjection] of wanted) {
        const entry = status.safeForms.events.find((candidate) => candidate.eventId === eventId);
        const position = positions.get(eventId)!;
        expect({ name, entry }).toMatchObject({
          name,
          entry: { eventId, position: { commit: position.commit.toString(), prepare: position.prepare.toString() } },
        });
        const note = byProjection[name]!;
        if ('fields' in note) {
          expect({ name, eventId, fields: Object.fromEntries(entry!.fields.map((f) => [f.field, f.storedAs])), leftOut: entry!.leftOut }).toEqual({
            name,
            eventId,
            fields: note.fields,
            leftOut: null,
          });
        } else {
          expect({ name, eventId, fields: entry!.fields, leftOut: entry!.leftOut }).toEqual({ name, eventId, fields: [], leftOut: expect.stringMatching(note.leftOut) });
        }
      }
    }
    // Events and positions, never a value of the events.
    for (const value of ['0000-01-01', '2022-02-30', '0000-12-31', 'run-1', 'yesterday', '\\u0000', '\\ud83d', '\\ud800', 'x\\ufffd']) {
      expect(text).not.toContain(value);
    }

    const list200 = await testApp.http().get('/dossiers?pageSize=200').set({ Authorization: `Bearer ${staff.token}`, 'X-Purpose': PURPOSE });
    expectStatus(list200, 200);
    const items = list200.body.items as Array<{ dossierId: string; person: Record<string, unknown>; registeredOn: string | null }>;
    expect(items.find((item) => item.dossierId === poisoned)).toMatchObject({
      person: { givenName: 'a\ufffdb', familyName: 'x\ufffd', birthDate: null },
      registeredOn: null,
    });
    expect(items.find((item) => item.dossierId === healthy)).toMatchObject({ person: { givenName: 'Olena' }, registeredOn: '2022-03-24' });
    const analyst = await testApp.token('analyst', 'poison-analyst');
    expectStatus(await testApp.http().get('/statistics/stock?asOf=2022-12-31').set('Authorization', `Bearer ${analyst}`), 200);
    expectStatus(await testApp.http().get('/archive/dossiers').set({ Authorization: `Bearer ${staff.token}`, 'X-Purpose': PURPOSE }), 200);
    expectStatus(await testApp.http().get('/health/ready'), 200);
  });

  it('rebuilds every projection through them to the same read models and the same list', async () => {
    const before = await readModels();
    const listed = (list: Status[]) => list.map(({ name, safeForms }) => ({ name, safeForms }));
    const notedBefore = listed((await statuses()).list);
    for (const name of PROJECTIONS) {
      expectStatus(await testApp.http().post(`/projections/${name}/rebuild`).set('Authorization', `Bearer ${admin}`), 202);
      await waitForProjections(testApp);
    }
    expect(await readModels()).toEqual(before);
    expect(listed((await statuses()).list)).toEqual(notedBefore);
  });
});
