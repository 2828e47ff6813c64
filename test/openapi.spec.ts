import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Ajv from 'ajv';
import { DossierApi, expectStatus, PURPOSE } from './support/dossier-fixtures';
import { waitForProjections } from './support/projections';
import { ROLE_MATRIX } from './support/role-matrix';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * The OpenAPI document (GET /docs/openapi.json) is complete and true: Redocly's recommended rules
 * find nothing; every operation documents its success schema, its problems (with the Problem
 * schema), its security and the headers that change behaviour; and the answers of a running
 * service match the schemas documented for them. Store-independent, so the PostgreSQL store only.
 */

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const ROOT = join(__dirname, '..');

/** Dossier commands: If-Match and ETag. */
const COMMAND_PATHS = /^\/dossiers(\/\{id\}\/(housed|rehoused|inburgering-enrolled|vdab-registered|employment-started|employment-ended|left|reopened|status-changed|erasure))?$/;
/** Answers with personal data: X-Purpose (docs/auditing.md). */
const PERSONAL_DATA = ['GET /dossiers', 'GET /dossiers/{id}', 'GET /dossiers/{id}/history', 'GET /dossiers/{id}/diff', 'GET /archive/dossiers/{id}', 'GET /archive/export'];

/**
 * OpenAPI 3.0's `nullable: true` as JSON Schema: the value may also be null, whatever the rest of
 * the schema says (Nest writes a nullable reference as `nullable` beside `allOf`, which a JSON
 * Schema validator would not let be null).
 */
function asJsonSchema(node: unknown): any {
  if (Array.isArray(node)) return node.map(asJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Json;
  const converted = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, asJsonSchema(value)]));
  return nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted;
}

describe('OpenAPI document', () => {
  let testApp: TestApp;
  let document: Json;
  const operations: Array<{ key: string; method: string; path: string; operation: Json }> = [];

  beforeAll(async () => {
    testApp = await startTestApp();
    const response = await testApp.http().get('/docs/openapi.json');
    expectStatus(response, 200);
    document = response.body;
    for (const [path, item] of Object.entries(document.paths as Json)) {
      for (const method of METHODS) {
        if (item[method]) operations.push({ key: `${method.toUpperCase()} ${path}`, method, path, operation: item[method] });
      }
    }
  });
  afterAll(() => testApp.close());

  const parameterNames = (operation: Json) =>
    (operation.parameters as Json[]).map((parameter) =>
      parameter.$ref ? document.components.parameters[parameter.$ref.split('/').pop()].name : parameter.name,
    );
  const successes = (operation: Json) => Object.entries(operation.responses as Json).filter(([status]) => status.startsWith('2'));

  it('passes `redocly lint` with the recommended rules: 0 errors, 0 warnings (offline, no telemetry)', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'openapi-'));
    const file = join(directory, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const cli = join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format', 'json'], {
      cwd: directory,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    }).catch((error: { stdout?: string; message: string }) => {
      // Problems make it exit 1: the report is still on stdout.
      if (error.stdout) return { stdout: error.stdout };
      throw error;
    });
    const report = JSON.parse(stdout.slice(stdout.indexOf('{')));
    const problems = (report.problems as Json[]).map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`);
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('gives every operation a success answer with a schema', () => {
    expect(operations.length).toBe(ROLE_MATRIX.length);
    for (const { key, operation } of operations) {
      const schemas = successes(operation).flatMap(([, response]) => Object.values((response.content ?? {}) as Json).map((media) => media.schema));
      expect({ key, documented: schemas.length > 0 && schemas.every(Boolean) }).toEqual({ key, documented: true });
    }
  });

  it('documents security as the guard applies it: bearer with 401 and 403, or open to all', () => {
    for (const entry of ROLE_MATRIX) {
      const { operation } = operations.find((o) => o.key === `${entry.method} ${entry.path}`)!;
      const key = `${entry.method} ${entry.path}`;
      if (entry.roles === 'public') {
        expect({ key, security: operation.security }).toEqual({ key, security: [{}] });
      } else {
        expect({ key, security: operation.security }).toEqual({ key, security: [{ bearer: [] }] });
        expect({ key, statuses: Object.keys(operation.responses) }).toEqual({ key, statuses: expect.arrayContaining(['401', '403', '429']) });
      }
    }
  });

  it('gives every error answer the Problem schema, as application/problem+json', () => {
    expect(document.components.schemas.Problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status']));
    for (const { key, operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses as Json)) {
        if (status !== '4XX' && Number(status) < 400) continue;
        expect({ key, status, content: response.content }).toEqual({
          key,
          status,
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        });
      }
    }
  });

  it('documents the headers that change behaviour', () => {
    for (const { key, method, path, operation } of operations) {
      const names = parameterNames(operation);
      const authenticated = operation.security.some((requirement: Json) => 'bearer' in requirement);
      expect({ key, correlationId: names.includes('X-Correlation-Id') }).toEqual({ key, correlationId: true });
      for (const [status, response] of Object.entries(operation.responses as Json)) {
        expect({ key, status, correlationId: 'X-Correlation-Id' in (response.headers ?? {}) }).toEqual({ key, status, correlationId: true });
      }
      if (method === 'post' && authenticated) {
        expect({ key, idempotencyKey: names.includes('Idempotency-Key') }).toEqual({ key, idempotencyKey: true });
        for (const [status, response] of successes(operation)) {
          expect({ key, status, replayed: 'Idempotent-Replayed' in response.headers }).toEqual({ key, status, replayed: true });
        }
      }
      if (method === 'post' && COMMAND_PATHS.test(path)) {
        expect({ key, ifMatch: names.includes('If-Match') }).toEqual({ key, ifMatch: true });
        expect({ key, etag: 'ETag' in operation.responses['201'].headers }).toEqual({ key, etag: true });
      }
      expect({ key, purpose: names.includes('X-Purpose') }).toEqual({ key, purpose: PERSONAL_DATA.includes(key) });
    }
    for (const key of ['GET /dossiers/{id}', 'GET /dossiers/{id}/history']) {
      expect(operations.find((o) => o.key === key)!.operation.responses['200'].headers).toHaveProperty('ETag');
    }
    expect(operations.find((o) => o.key === 'POST /dossiers')!.operation.responses['201'].headers).toHaveProperty('Location');
  });

  describe('the answers of the running service', () => {
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    let staff: DossierApi;
    let dossierId: string;
    const tokens: Record<string, string> = {};

    beforeAll(async () => {
      ajv.addSchema({ ...asJsonSchema(document), $id: 'openapi.json' });
      for (const role of ['staff', 'analyst', 'auditor', 'admin'] as const) tokens[role] = await testApp.token(role);
      staff = new DossierApi(testApp, tokens.staff);
      dossierId = await staff.registered({ municipality: '71022', registeredOn: '2024-01-10', protection: { grantedOn: '2024-01-10' } });
      await staff.recorded(dossierId, 'housed', { housingType: 'collective', municipality: '71022', on: '2024-02-01' });
      await staff.recorded(dossierId, 'vdab-registered', { on: '2024-03-01' });
      await staff.recorded(dossierId, 'status-changed', { on: '2024-03-15', status: 'student' });
      await waitForProjections(testApp);
    });

    /** Validates an answer against the schema documented for its operation and status. */
    function matchesDocument(method: string, template: string, status: number, body: unknown): void {
      const media = status >= 400 ? 'application/problem+json' : 'application/json';
      const pointer = ['paths', template, method, 'responses', String(status), 'content', media, 'schema']
        .map((segment) => segment.replace(/~/g, '~0').replace(/\//g, '~1'))
        .join('/');
      const validate = ajv.getSchema(`openapi.json#/${pointer}`);
      if (!validate) throw new Error(`no schema documented at ${pointer}`);
      const valid = validate(body);
      expect({ operation: `${method.toUpperCase()} ${template} ${status}`, errors: valid ? null : validate.errors }).toEqual({
        operation: `${method.toUpperCase()} ${template} ${status}`,
        errors: null,
      });
    }

    it.each([
      ['analyst', '/statistics/stock', '/statistics/stock?asOf=2024-06-30&groupBy=municipality&map=2025-01-01'],
      ['analyst', '/statistics/stock-over-time', '/statistics/stock-over-time?from=2024-01-01&to=2024-06-30&interval=quarter&groupBy=province'],
      ['analyst', '/statistics/flows', '/statistics/flows?from=2024-01-01&to=2024-06-30&interval=month&groupBy=province'],
      ['analyst', '/statistics/funnel', '/statistics/funnel?cohort=2024-01&asOf=2024-06-30&groupBy=province&map=2025-01-01'],
      ['analyst', '/statistics/outlook', '/statistics/outlook?endDate=2024-03-31&endDate=2027-03-04'],
      ['analyst', '/statistics/vdab', '/statistics/vdab?on=2024-06-30&groupBy=province,cohort'],
      ['analyst', '/statistics/vdab', '/statistics/vdab?from=2024-01-01&to=2024-06-30&interval=quarter&groupBy=municipality&population=active'],
      ['admin', '/statistics/settings', '/statistics/settings'],
      ['admin', '/projections', '/projections'],
      ['admin', '/archive/runs', '/archive/runs'],
      ['auditor', '/audit/access-log', '/audit/access-log'],
      ['staff', '/dossiers', '/dossiers'],
      ['staff', '/dossiers/{id}', '/dossiers/:id'],
      ['staff', '/dossiers/{id}/history', '/dossiers/:id/history'],
      ['staff', '/dossiers/{id}/diff', '/dossiers/:id/diff?from=1&to=3'],
      ['auditor', '/dossiers/{id}/verify', '/dossiers/:id/verify'],
      ['staff', '/municipalities/{nis}/summary', '/municipalities/71022/summary'],
      ['staff', '/archive/dossiers', '/archive/dossiers'],
      [null, '/health/live', '/health/live'],
      [null, '/health/ready', '/health/ready'],
    ] as const)('%s: GET %s answers as documented', async (role, template, url) => {
      const request = testApp.http().get(url.replace(':id', dossierId)).set('X-Purpose', PURPOSE);
      if (role) request.set('Authorization', `Bearer ${tokens[role]}`);
      const response = await request;
      expectStatus(response, 200);
      matchesDocument('get', template, 200, response.body);
    });

    it('answers commands and problems as documented', async () => {
      const accepted = await staff.command(dossierId, 'employment-started', { on: '2024-04-01' });
      expectStatus(accepted, 201);
      matchesDocument('post', '/dossiers/{id}/employment-started', 201, accepted.body);
      const refused = await staff.command(dossierId, 'employment-started', { on: '2024-04-02' });
      matchesDocument('post', '/dossiers/{id}/employment-started', 409, refused.body);
      const changed = await staff.command(dossierId, 'status-changed', { on: '2024-04-01', status: 'single-permit' });
      expectStatus(changed, 201);
      matchesDocument('post', '/dossiers/{id}/status-changed', 201, changed.body);
      const same = await staff.command(dossierId, 'status-changed', { on: '2024-04-02', status: 'single-permit' });
      matchesDocument('post', '/dossiers/{id}/status-changed', 409, same.body);
    });
  });
});
