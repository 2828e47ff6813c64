import { connect } from 'node:net';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { comparePositions, EVENT_STORE, type EventStore, type LogPosition } from '@app/event-store';
import { ROLES, signDevToken } from '../libs/platform/src';
import { DossierApi, expectProblem, expectStatus, registrationBody } from './support/dossier-fixtures';
import { eventStoreOfItsOwn, onPostgresStore, type SuiteEventStore } from './support/event-store-under-test';
import { waitForProjections } from './support/projections';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * Property: whatever a careless or hostile client sends, in any field or parameter of any
 * operation the OpenAPI document lists (read from the running service, so a new operation is
 * covered without touching this file), the service answers below 500; what it refuses is a
 * problem+json 4xx without internals and appends nothing (the store's head does not move); and
 * every projection is live afterwards.
 *
 * Each request is valid but for one place (a path, query or header parameter, one body field
 * at any depth, or the whole body), which gets a hostile value: control characters, U+0000,
 * unpaired surrogates, dates and numbers out of every range, the wrong JSON type, huge sizes.
 * The caller holds every role, so each request gets past authorisation to the validation and
 * the code behind it. HOSTILE_INPUT_RUNS generated values per place besides the fixed probes
 * keep the run short: 3 by default on PostgreSQL, 1 on EventStoreDB, where validation is the same
 * code and each request costs about twice as much (the probes still go to every place there); a
 * failure prints fast-check's seed and the shrunk value, and HOSTILE_INPUT_SEED replays it.
 */

const RUNS = Number(process.env.HOSTILE_INPUT_RUNS ?? (onPostgresStore() ? 3 : 1));
const SEED = process.env.HOSTILE_INPUT_SEED === undefined ? undefined : Number(process.env.HOSTILE_INPUT_SEED);

// ------------------------------------------------------------------ the OpenAPI document

interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  minimum?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  $ref?: string;
  allOf?: Schema[];
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: Schema;
}

type Reference = { $ref: string };

interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: Array<Parameter | Reference>; requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
  components: { schemas: Record<string, Schema>; parameters?: Record<string, Parameter> };
}

/** Headers the service reads on every route, documented on an operation or not. */
const COMMON_HEADERS = ['Authorization', 'Content-Type', 'Accept', 'X-Purpose', 'X-Correlation-Id', 'Idempotency-Key', 'If-Match'];

function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method,
      path,
      // Parameters several operations share are references to components.parameters.
      parameters: (operation.parameters ?? []).map((parameter) =>
        '$ref' in parameter ? document.components.parameters![parameter.$ref.split('/').pop()!] : parameter,
      ),
      body: operation.requestBody?.content?.['application/json']?.schema,
    })),
  );
}

function resolve(document: OpenApiDocument, schema: Schema): Schema {
  if (schema.$ref) return resolve(document, document.components.schemas[schema.$ref.split('/').pop()!]);
  if (schema.allOf?.length === 1) return resolve(document, schema.allOf[0]);
  return schema;
}

// ------------------------------------------------------------------ valid values

/** What each request needs to be valid but for its one hostile place. */
interface Fixtures {
  dossierId: string;
  today: string;
}

function validString(name: string, schema: Schema, fixtures: Fixtures): string {
  if (schema.enum?.length) return String(schema.enum[0]);
  if (schema.format === 'date') return '2022-06-01';
  if (schema.format === 'date-time') return '2022-06-01T12:00:00Z';
  if (schema.format === 'uuid' || name === 'id') return fixtures.dossierId;
  if (name === 'runId') return '6f1c3a52-8a4e-4c1e-9a55-0f3a2e7b9c10';
  if (name === 'name') return 'dossier-archive';
  if (name === 'nis') return '11002';
  if (schema.example !== undefined) return String(Array.isArray(schema.example) ? schema.example[0] : schema.example);
  if (schema.default !== undefined) return String(schema.default);
  return 'hostile-input-test';
}

function validQueryValue(parameter: Parameter, fixtures: Fixtures): string {
  const schema = parameter.schema ?? {};
  if (schema.type === 'number' || schema.type === 'integer') return String(schema.example ?? schema.default ?? schema.minimum ?? 1);
  if (schema.type === 'array') return validString(parameter.name, schema.items ?? {}, fixtures);
  return validString(parameter.name, schema, fixtures);
}

/** A body that passes validation: required fields, and each optional one when `keep` says so. */
function validBody(document: OpenApiDocument, schema: Schema, fixtures: Fixtures, keep: () => boolean, name = ''): unknown {
  const resolved = resolve(document, schema);
  if (resolved.properties) {
    const required = new Set(resolved.required ?? []);
    return Object.fromEntries(
      Object.entries(resolved.properties)
        .filter(([field]) => required.has(field) || keep())
        .map(([field, property]) => [field, validBody(document, property, fixtures, keep, field)]),
    );
  }
  if (resolved.enum?.length) return resolved.enum[0];
  if (resolved.type === 'integer' || resolved.type === 'number') return resolved.example ?? resolved.minimum ?? 1;
  if (resolved.type === 'boolean') return true;
  if (resolved.type === 'array') return [validBody(document, resolved.items ?? {}, fixtures, keep, name)];
  if (resolved.format === 'date') return fixtures.today;
  return validString(name, resolved, fixtures);
}

/** Dotted paths of every field of a body schema, nested objects and their fields included. */
function bodyFields(document: OpenApiDocument, schema: Schema, prefix: string[] = []): string[][] {
  const resolved = resolve(document, schema);
  return Object.entries(resolved.properties ?? {}).flatMap(([field, property]) => [
    [...prefix, field],
    ...bodyFields(document, property, [...prefix, field]),
  ]);
}

// ------------------------------------------------------------------ hostile values

const deeplyNested = (depth: number): unknown => (depth === 0 ? 'bottom' : { nested: deeplyNested(depth - 1) });

const controlCharacter = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f)).map((code) => String.fromCharCode(code));
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const nastyText = fc.constantFrom(
  '\u0000',
  '%00',
  '\\u0000',
  '\u202e',
  '\ufeff',
  '\uffff',
  '🇺🇦',
  '\ud83d\ude00'.slice(0, 1),
  "'; DROP TABLE event_store.events; --",
  '../../etc/passwd',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '',
  '   ',
  '\t\n\r',
);
const hostileDates = fc.constantFrom(
  '0000-01-01',
  '0001-01-01',
  '1899-12-31',
  '2100-01-01',
  '9999-12-31',
  '-000001-01-01',
  '+275760-09-13',
  '2022-02-30',
  '20220301',
  '2022-3-1',
  '2022-03-01T25:00:00Z',
  '0000-01-01T00:00:00Z',
  '2022-03-01T12:00:00',
  '0000-01',
  '2022-13',
  'yesterday',
);
const hostileNumberText = fc.constantFrom('1e308', '-1e308', '1e-400', 'NaN', 'Infinity', '-0', '-1', '0', '05', '0x10', '1.5', '9007199254740993', ' 5', '5 ', '', ' ', 'true', 'false', 'null');
const hugeText = fc.constantFrom('a'.repeat(1_000), 'a'.repeat(20_000), `${'\u0000'.repeat(10)}${'b'.repeat(5_000)}`, '🇺🇦'.repeat(3_000));

const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.string({ maxLength: 8 }), fc.oneof(controlCharacter, loneSurrogate, nastyText), fc.string({ maxLength: 8 })).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 16 }),
  hostileDates,
  hostileNumberText,
  hugeText,
);

const hostileNumber = fc.oneof(
  fc.constantFrom(1e308, -1e308, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER + 2, -1, 0, 1.5, 101, 2 ** 31, -(2 ** 63)),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Any JSON value a field could be given instead of the right one. */
const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [null], { '': '' }) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(deeplyNested(40), Array.from({ length: 20_000 }, () => 1), { givenName: 'x'.repeat(70_000) }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Whole bodies, JSON or not, sent as application/json. */
const hostileRawBody = fc.oneof(
  hostileJson.map((value) => JSON.stringify(value) ?? 'null'),
  fc.constantFrom('{', '{"on": ', 'nul', '\u0000', '1e999', '{"__proto__": {"polluted": true}}', '{"constructor": {"prototype": {}}}', '"\\ud83d"', '{"a": "\\u0000"}', ''),
);

/** Query and path values: strings, or a parameter repeated. */
const hostileParameter = fc.oneof({ weight: 5, arbitrary: hostileString }, { weight: 1, arbitrary: fc.array(hostileString, { minLength: 2, maxLength: 3 }) });

/** Written into the URL as they are (malformed escapes, dot segments): the rest is percent-encoded. */
const rawUrlToken = fc.constantFrom('%', '%zz', '%E0%A4%A', '%ED%A0%BD', '%C0%AE', '%00', '..', '%2e%2e', '%2F', '%252e');

/** What an HTTP client can put in a header (Node refuses the rest before sending; see the raw-socket cases). */
const HEADER_CHARACTER = /^[\t\x20-\x7e\x80-\xff]*$/;
const hostileHeader = fc.oneof(
  hostileString.filter((value) => HEADER_CHARACTER.test(value) && value.length < 12_000),
  fc.constantFrom('"', '""', 'W/"1"', '"0"', '"-1"', '"1e3"', '"99999999999"', '*', ' ', '\t', 'é', '\xff\xfe', 'x'.repeat(8_000), 'Bearer', 'application/json; charset=utf-7', 'text/csv'),
);

// ------------------------------------------------------------------ requests

interface HostileRequest {
  method: string;
  path: string;
  query: string[];
  headers: Record<string, string>;
  body?: string;
}

const encode = (value: string) =>
  [...Buffer.from(value, 'utf8')].map((byte) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

type Place =
  | { kind: 'path' | 'query' | 'header'; name: string }
  | { kind: 'common-header'; names: string[] }
  | { kind: 'field'; path: string[] }
  | { kind: 'body' };

function describePlace(place: Place): string {
  switch (place.kind) {
    case 'field':
      return `body field ${place.path.join('.')}`;
    case 'body':
      return 'the whole body';
    case 'common-header':
      return `one of the headers ${place.names.join(', ')}`;
    default:
      return `${place.kind} ${place.name}`;
  }
}

function placesOf(document: OpenApiDocument, operation: Operation): Place[] {
  const documented = operation.parameters.map((parameter): Place => ({ kind: parameter.in, name: parameter.name }));
  const names = COMMON_HEADERS.filter((name) => !operation.parameters.some((p) => p.in === 'header' && p.name.toLowerCase() === name.toLowerCase()));
  return [
    ...documented,
    // The same middleware, guards and interceptors read these on every route: one place for all of them, a header drawn each time.
    ...(names.length > 0 ? [{ kind: 'common-header', names } as Place] : []),
    ...(operation.body ? [{ kind: 'body' } as Place, ...bodyFields(document, operation.body).map((path): Place => ({ kind: 'field', path }))] : []),
  ];
}

function setField(body: unknown, path: string[], value: unknown): unknown {
  const root = (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  let node = root;
  for (const key of path.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
  return root;
}

/** What a place is given: a JSON value (body field), a body's text, a parameter's value(s), or a header's. */
type Hostile = { json: unknown } | { raw: string } | { parameter: string | string[] } | { rawToken: string } | { header: string; name?: string };

function hostileFor(place: Place): fc.Arbitrary<Hostile> {
  switch (place.kind) {
    case 'field':
      return hostileJson.map((json) => ({ json }));
    case 'body':
      return hostileRawBody.map((raw) => ({ raw }));
    case 'header':
      return hostileHeader.map((header) => ({ header }));
    case 'common-header':
      return fc.tuple(fc.constantFrom(...place.names), hostileHeader).map(([name, header]) => ({ name, header }));
    case 'path':
      return fc.oneof(hostileString.map((parameter) => ({ parameter })), rawUrlToken.map((rawToken) => ({ rawToken })));
    case 'query':
      return fc.oneof(hostileParameter.map((parameter) => ({ parameter })), rawUrlToken.map((rawToken) => ({ rawToken })));
  }
}

/**
 * Probes every place gets besides the random values: the classes that reached PostgreSQL once
 * (U+0000, a lone surrogate, the year 0000, a number no column holds, the wrong type).
 */
function probesFor(place: Place): Hostile[] {
  switch (place.kind) {
    case 'field':
      return ['a\u0000b', 'x\ud83d', '0000-01-01', 1e308, '', false, null].map((json) => ({ json }));
    case 'body':
      return ['null', '{"all": null}', '{"reason": "\\u0000"}'].map((raw) => ({ raw }));
    case 'query':
      return ['a\u0000b', '0000-01-01', '1e308', ''].map((parameter) => ({ parameter }));
    case 'path':
      return [{ parameter: 'a\u0000b' }, { parameter: '0000-01-01' }];
    case 'header':
    case 'common-header':
      // An HTTP client cannot send U+0000 or a lone surrogate in a header: the raw-socket cases below do.
      return [];
  }
}

/** The operation's request, valid everywhere but at `place`, which gets `value`. */
function buildRequest(
  document: OpenApiDocument,
  operation: Operation,
  fixtures: Fixtures & { token: string },
  place: Place,
  value: Hostile,
  keep: boolean[],
): HostileRequest {
  let keepIndex = 0;
  const keepNext = () => keep[keepIndex++ % keep.length];
  const request: HostileRequest = {
    method: operation.method,
    path: operation.path,
    query: [],
    headers: { Authorization: `Bearer ${fixtures.token}`, 'X-Purpose': 'hostile input test', Accept: 'application/json' },
  };
  // A parameter's text as it goes into the URL: percent-encoded, or a raw token as it is.
  const inUrl = (hostile: Hostile): string[] =>
    'rawToken' in hostile ? [hostile.rawToken] : 'parameter' in hostile ? [hostile.parameter].flat().map(encode) : [];
  for (const parameter of operation.parameters) {
    const here = place.kind === parameter.in && place.name === parameter.name;
    const valid = encode(validQueryValue(parameter, fixtures));
    if (parameter.in === 'path') {
      request.path = request.path.replace(`{${parameter.name}}`, here ? inUrl(value)[0] : valid);
    } else if (parameter.in === 'query' && (here || parameter.required || keepNext())) {
      request.query.push(...(here ? inUrl(value) : [valid]).map((text) => `${encode(parameter.name)}=${text}`));
    }
  }
  if ('header' in value && place.kind === 'header') request.headers[place.name] = value.header;
  if ('header' in value && place.kind === 'common-header') request.headers[value.name!] = value.header;
  if (operation.body) {
    const body = validBody(document, operation.body, fixtures, keepNext);
    if ('raw' in value) request.body = value.raw;
    else if ('json' in value && place.kind === 'field') request.body = JSON.stringify(setField(body, place.path, value.json));
    else request.body = JSON.stringify(body);
  }
  return request;
}

function send(testApp: TestApp, request: HostileRequest): Promise<Response> {
  const url = request.query.length > 0 ? `${request.path}?${request.query.join('&')}` : request.path;
  const http = testApp.http() as unknown as Record<string, (url: string) => import('supertest').Test>;
  let test = http[request.method](url);
  if (request.body !== undefined) test = test.set('Content-Type', 'application/json');
  for (const [name, value] of Object.entries(request.headers)) test = test.set(name, value);
  return request.body === undefined ? test : test.send(request.body);
}

// ------------------------------------------------------------------ the spec

describe('hostile input on every operation of the OpenAPI document', () => {
  let eventStore: SuiteEventStore;
  let testApp: TestApp;
  let store: EventStore;
  let staff: DossierApi;
  let everyRole: string;
  let document: OpenApiDocument;

  beforeAll(async () => {
    // Archive runs archive every dossier of the log: on EventStoreDB, not the other suites' ones.
    eventStore = await eventStoreOfItsOwn();
    testApp = await startTestApp(eventStore.env);
    store = testApp.app.get<EventStore>(EVENT_STORE);
    staff = new DossierApi(testApp, await testApp.token('staff', 'hostile-staff'));
    everyRole = await signDevToken(testApp.config, { subject: 'hostile-client', roles: [...ROLES] });
    const response = await testApp.http().get('/docs/openapi.json');
    expectStatus(response, 200);
    document = response.body as OpenApiDocument;
  });
  afterAll(async () => {
    await testApp?.close();
    await eventStore?.stop();
  });

  /**
   * Below 500; a refusal is problem+json and leaves the log as it found it. Answers the head
   * after a refusal (the next request's head before), undefined when it has to be read again.
   */
  async function expectAnsweredCleanly(response: Response, headBefore: LogPosition): Promise<LogPosition | undefined> {
    if (response.status >= 500) throw new Error(`answered ${response.status}: ${response.text.slice(0, 300)}`);
    if (response.status < 400) return undefined;
    expectProblem(response, response.status);
    const headAfter = await store.headPosition();
    if (comparePositions(headAfter, headBefore) !== 0) throw new Error(`refused with ${response.status}, but the store's head moved`);
    return headAfter;
  }

  const shown = (request: HostileRequest) =>
    JSON.stringify({ url: [request.path, ...request.query].join(' '), headers: request.headers, body: request.body }, (key, value) =>
      key === 'Authorization' && typeof value === 'string' && value.startsWith('Bearer ey') ? 'Bearer <every role>' : typeof value === 'string' && value.length > 200 ? `${value.slice(0, 200)}… (${value.length})` : value,
    );

  it('answers every hostile value below 500, refuses with problem+json, appends nothing when refusing, and leaves every projection live', async () => {
    const operations = operationsOf(document);
    // The document lists what the issue names; a new operation is fuzzed without being named here.
    expect(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`)).toEqual(
      expect.arrayContaining(['POST /dossiers', 'GET /dossiers', 'PUT /statistics/settings', 'POST /archive/runs', 'GET /audit/access-log', 'POST /dossiers/{id}/erasure']),
    );
    const failures: string[] = [];
    let requests = 0;
    let head: LogPosition | undefined;
    for (const operation of operations) {
      // A dossier of its own: each operation finds one to work on, even after an archive run or an erasure.
      const dossierId = await staff.registered(registrationBody());
      head = undefined;
      const fixtures = { dossierId, today: '2023-01-02', token: everyRole };
      for (const place of placesOf(document, operation)) {
        const property = fc.asyncProperty(hostileFor(place), fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), async (value, keep) => {
          const request = buildRequest(document, operation, fixtures, place, value, keep);
          const headBefore = head ?? (await store.headPosition());
          head = undefined;
          requests++;
          try {
            head = await expectAnsweredCleanly(await send(testApp, request), headBefore);
          } catch (error) {
            throw new Error(`${(error as Error).message.slice(0, 600)}\n      request: ${shown(request)}`);
          }
        });
        // Not shrunk: each step would be another request, and the request above says what failed.
        const examples = probesFor(place).map((probe): [Hostile, boolean[]] => [probe, [true]]);
        const numRuns = RUNS + examples.length;
        const details = await fc.check(property, { numRuns, examples, seed: SEED, endOnFailure: true });
        if (details.failed) {
          const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
          failures.push(`${operation.method.toUpperCase()} ${operation.path}, ${describePlace(place)} (seed ${details.seed}): ${error}`);
        }
      }
    }
    await waitForProjections(testApp, 60_000).catch((error: Error) => failures.push(`afterwards: ${error.message.slice(0, 1500)}`));
    if (failures.length > 0) throw new Error(`${failures.length} places answered badly:\n${failures.join('\n')}`);
    expect(requests).toBeGreaterThan(500);
  }, 480_000);

  describe('what only a raw socket can send', () => {
    async function raw(request: string): Promise<{ status: number; headers: string; body: string }> {
      const address = testApp.app.getHttpServer().address() as { port: number };
      const socket = connect(address.port, '127.0.0.1');
      socket.write(request);
      const chunks: Buffer[] = [];
      for await (const chunk of socket) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, body] = text.split('\r\n\r\n', 2);
      return { status: Number(head.split(' ')[1]), headers: head, body };
    }

    it.each([
      ['X-Purpose', 'why\u0000not'],
      ['Idempotency-Key', 'key\u0000'],
      ['X-Correlation-Id', '\u0000'],
      ['If-Match', '"1\u0000"'],
      ['Authorization', 'Bearer \u0000'],
    ])('a %s header holding U+0000: 400 problem+json from the HTTP parser, nothing appended', async (name, value) => {
      const head = await store.headPosition();
      const response = await raw(
        `POST /dossiers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n${name}: ${value}\r\nConnection: close\r\n\r\n{}`,
      );
      expect(response.status).toBe(400);
      expect(response.headers).toMatch(/content-type: application\/problem\+json/i);
      expect(JSON.parse(response.body)).toMatchObject({ type: '/problems/bad-request', status: 400 });
      expect(await store.headPosition()).toEqual(head);
    });

    it('headers larger than Node accepts: 431 problem+json', async () => {
      const response = await raw(`GET /dossiers HTTP/1.1\r\nHost: localhost\r\nX-Purpose: ${'x'.repeat(20_000)}\r\nConnection: close\r\n\r\n`);
      expect(response.status).toBe(431);
      expect(JSON.parse(response.body)).toMatchObject({ type: '/problems/request-header-fields-too-large', status: 431 });
    });
  });
});
