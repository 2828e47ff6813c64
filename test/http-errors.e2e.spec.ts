import {
  commandBody,
  DossierApi,
  expectNoLeak,
  expectNothingAppended,
  expectProblem,
  expectStatus,
  registrationBody,
} from './support/dossier-fixtures';
import { startTestApp, type TestApp } from './support/test-app';

interface FieldError {
  field: string;
  messages: string[];
}

/**
 * Errors that are not business rules: validation (400 with each field), bodies that are not
 * JSON or too large, unknown dossiers and routes, If-Match. Every one is problem+json without
 * internals, and none appends anything.
 */
describe('HTTP errors', () => {
  let testApp: TestApp;
  let api: DossierApi;
  let dossierId: string;

  beforeAll(async () => {
    testApp = await startTestApp();
    api = new DossierApi(testApp, await testApp.token('staff', 'alice'));
    dossierId = await api.registered();
    await api.recorded(dossierId, 'housed', commandBody('housed', '2022-04-01'));
  });
  afterAll(() => testApp.close());

  const fieldsOf = (body: Record<string, unknown>) => {
    const errors = body.errors as FieldError[];
    expect(Array.isArray(errors)).toBe(true);
    for (const error of errors) {
      expect(error.messages.length).toBeGreaterThan(0);
      for (const message of error.messages) expect(message).toEqual(expect.any(String));
    }
    return errors.map((e) => e.field).sort();
  };

  describe('400 validation', () => {
    it('lists each invalid field of a registration, nested ones as person.x, unknown extra fields too', async () => {
      const response = await api.register({
        person: {
          familyName: 'Kovalenko',
          birthDate: '30/07/1985',
          sex: 'unknown',
          nationality: 'Ukraine',
          nationalRegisterNumber: '85-07-30',
          middleName: 'Ivanivna',
        },
        protection: { grantedOn: '2023-02-30' },
        municipality: '1100',
        registeredOn: 'yesterday',
        comment: 'not a field',
      });
      const problem = expectProblem(response, 400, 'validation-failed');
      expect(fieldsOf(problem)).toEqual(
        [
          'comment',
          'municipality',
          'person.birthDate',
          'person.givenName',
          'person.middleName',
          'person.nationalRegisterNumber',
          'person.nationality',
          'person.sex',
          'protection.grantedOn',
          'registeredOn',
        ].sort(),
      );
      const byField = new Map((problem.errors as FieldError[]).map((e) => [e.field, e.messages.join(' ')]));
      expect(byField.get('person.birthDate')).toMatch(/YYYY-MM-DD/);
      expect(byField.get('comment')).toMatch(/should not exist/);
      // Messages say why without echoing what was sent.
      expect(response.text).not.toContain('Ivanivna');
    });

    it('a registration without person or protection names those objects', async () => {
      const response = await api.register({ municipality: '11002', registeredOn: '2022-03-24' });
      const fields = fieldsOf(expectProblem(response, 400, 'validation-failed'));
      expect(fields).toEqual(expect.arrayContaining(['person', 'protection']));
    });

    it('an empty JSON object lists every required field', async () => {
      const fields = fieldsOf(expectProblem(await api.register({}), 400, 'validation-failed'));
      expect(fields).toEqual(expect.arrayContaining(['person', 'protection', 'municipality', 'registeredOn']));
    });

    it.each([
      ['housed', { housingType: 'tent', municipality: '11002', on: '2023-01-01' }, ['housingType']],
      ['housed', { housingType: 'loi', municipality: 11002, on: '2023-01-01' }, ['municipality']],
      ['rehoused', { housingType: 'loi', municipality: '11002', on: '2023-01-01' }, ['reason']],
      ['rehoused', { housingType: 'loi', municipality: '11002', on: '2023-1-1', reason: 'because' }, ['on', 'reason']],
      ['inburgering-enrolled', { trajectory: 'nt2', on: '2023-01-01' }, ['trajectory']],
      ['vdab-registered', {}, ['on']],
      ['vdab-registered', { on: '2023-01-01', office: 'Gent' }, ['office']],
      ['employment-started', { on: 20230101 }, ['on']],
      ['employment-ended', { on: '2023-13-01' }, ['on']],
      ['left', { on: '2023-01-01', reason: 'holiday' }, ['reason']],
      ['reopened', { on: '2023-01-01', municipality: 'Gent' }, ['municipality']],
    ] as const)('%s %j → 400 naming %j, nothing appended', async (command, body, fields) => {
      const response = await expectNothingAppended(api, dossierId, () => api.command(dossierId, command, body));
      expect(fieldsOf(expectProblem(response, 400, 'validation-failed'))).toEqual([...fields].sort());
    });

    it.each([
      ['an array', []],
      ['a string', 'hello'],
      ['a number', 42],
      ['null', null],
      ['true', true],
    ])('a body that is %s and not an object → 400, never 500', async (_, body) => {
      const response = await testApp
        .http()
        .post(`/dossiers/${dossierId}/vdab-registered`)
        .set('Authorization', `Bearer ${api.token}`)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(body));
      expectProblem(response, 400);
    });

    it('a POST without any body → 400 listing the missing fields', async () => {
      const response = await testApp.http().post(`/dossiers/${dossierId}/vdab-registered`).set('Authorization', `Bearer ${api.token}`);
      expect(fieldsOf(expectProblem(response, 400, 'validation-failed'))).toEqual(['on']);
    });

    it('nested objects of the wrong type → 400 on that field', async () => {
      const response = await api.register({ ...registrationBody(), person: 'Olena Kovalenko', protection: ['2022-03-21'] });
      const fields = fieldsOf(expectProblem(response, 400, 'validation-failed'));
      expect(fields).toEqual(expect.arrayContaining(['person', 'protection']));
    });
  });

  describe('bodies that are not JSON', () => {
    it('malformed JSON → 400 problem', async () => {
      const response = await expectNothingAppended(api, dossierId, () =>
        testApp
          .http()
          .post(`/dossiers/${dossierId}/vdab-registered`)
          .set('Authorization', `Bearer ${api.token}`)
          .set('Content-Type', 'application/json')
          .send('{"on": "2023-01-01",'),
      );
      const problem = expectProblem(response, 400);
      expect(response.text).not.toMatch(/Unexpected|position \d+|JSON\.parse/);
      expect(problem.detail).toEqual(expect.any(String));
    });

    it('text/plain → 415 problem', async () => {
      const response = await expectNothingAppended(api, dossierId, () =>
        testApp
          .http()
          .post(`/dossiers/${dossierId}/vdab-registered`)
          .set('Authorization', `Bearer ${api.token}`)
          .set('Content-Type', 'text/plain')
          .send('on=2023-01-01'),
      );
      expectProblem(response, 415, 'unsupported-media-type');
    });

    it('a form post → 415 problem', async () => {
      const response = await testApp
        .http()
        .post('/dossiers')
        .set('Authorization', `Bearer ${api.token}`)
        .type('form')
        .send({ municipality: '11002' });
      expectProblem(response, 415, 'unsupported-media-type');
    });

    it('application/problem+json style types (application/*+json) are accepted as JSON', async () => {
      const response = await testApp
        .http()
        .post('/dossiers')
        .set('Authorization', `Bearer ${api.token}`)
        .set('Content-Type', 'application/vnd.dossier+json')
        .send(JSON.stringify(registrationBody()));
      expectStatus(response, 201);
    });

    it('a body over 64kb → 413 problem, nothing appended', async () => {
      const huge = { on: '2023-01-01', padding: 'x'.repeat(70 * 1024) };
      const response = await expectNothingAppended(api, dossierId, () => api.command(dossierId, 'vdab-registered', huge));
      expectProblem(response, 413);
      const registration = await api.register({ ...registrationBody(), householdId: 'h'.repeat(65 * 1024) });
      expectProblem(registration, 413);
    });

    it('a body just under the limit is read (and then validated)', async () => {
      const response = await api.command(dossierId, 'vdab-registered', { on: '2023-01-01', padding: 'x'.repeat(60 * 1024) });
      expect(fieldsOf(expectProblem(response, 400, 'validation-failed'))).toEqual(['padding']);
    });
  });

  describe('404', () => {
    const unknown = '3f2b8c1e-4d5a-4e6f-8a7b-9c0d1e2f3a4b';

    it.each([
      ['GET dossier', (a: DossierApi) => a.get(unknown)],
      ['GET history', (a: DossierApi) => a.history(unknown)],
      ['POST housed', (a: DossierApi) => a.command(unknown, 'housed', commandBody('housed', '2023-01-01'))],
      ['POST reopened', (a: DossierApi) => a.command(unknown, 'reopened', commandBody('reopened', '2023-01-01'))],
    ])('%s of an unknown (valid uuid) dossier → 404 dossier-not-found', async (_, send) => {
      const response = await send(api);
      expectProblem(response, 404, 'dossier-not-found');
    });

    it('a command on an unknown dossier creates no stream', async () => {
      await api.command(unknown, 'vdab-registered', { on: '2023-01-01' });
      expectProblem(await api.history(unknown), 404, 'dossier-not-found');
    });

    it.each(['not-a-uuid', '12345', 'DROP TABLE', '3f2b8c1e4d5a4e6f8a7b9c0d1e2f3a4b0'])('non-uuid id %j → 404 problem', async (id) => {
      expectProblem(await api.get(encodeURIComponent(id)), 404, 'dossier-not-found');
      expectProblem(await api.history(encodeURIComponent(id)), 404, 'dossier-not-found');
      expectProblem(await api.command(encodeURIComponent(id), 'vdab-registered', { on: '2023-01-01' }), 404, 'dossier-not-found');
    });

    it('unknown routes → 404 problem+json, with and without a token', async () => {
      for (const path of ['/nope', '/dossiers/x/y/z', '/api/dossiers']) {
        expectProblem(await testApp.http().get(path), 404);
        expectProblem(await testApp.http().get(path).set('Authorization', `Bearer ${api.token}`), 404);
      }
      expectProblem(await api.command(dossierId, 'teleported' as never, { on: '2023-01-01' }), 404);
    });

    it('a method the path does not have → 405 method-not-allowed with Allow, with and without a token', async () => {
      for (const token of [api.token, undefined]) {
        const request = testApp.http().delete(`/dossiers/${dossierId}`);
        const response = await (token ? request.set('Authorization', `Bearer ${token}`) : request);
        expectProblem(response, 405, 'method-not-allowed');
        expect(response.headers.allow).toBe('GET, HEAD');
      }
      const onCollection = await testApp.http().put('/dossiers').set('Authorization', `Bearer ${api.token}`).send({});
      expectProblem(onCollection, 405, 'method-not-allowed');
      expect(onCollection.headers.allow).toBe('GET, HEAD, POST');
      // A path no route has stays 404.
      expectProblem(await testApp.http().delete('/nope').set('Authorization', `Bearer ${api.token}`), 404, 'not-found');
    });
  });

  describe('If-Match', () => {
    it('412 when the dossier has moved on; nothing appended', async () => {
      const current = (await api.get(dossierId)).body.version as number;
      const response = await expectNothingAppended(api, dossierId, () =>
        api.command(dossierId, 'vdab-registered', { on: '2023-01-01' }, { 'If-Match': `"${current - 1}"` }),
      );
      const problem = expectProblem(response, 412, 'version-mismatch');
      expect(problem.currentVersion).toBe(current);
      expect(problem.expectedVersion).toBe(current - 1);
    });

    it('412 also for a version from the future', async () => {
      const current = (await api.get(dossierId)).body.version as number;
      const response = await api.command(dossierId, 'vdab-registered', { on: '2023-01-01' }, { 'If-Match': `"${current + 5}"` });
      expectProblem(response, 412, 'version-mismatch');
    });

    it('succeeds with the current ETag (also weak, or *)', async () => {
      const read = await api.get(dossierId);
      const response = await api.command(dossierId, 'inburgering-enrolled', { trajectory: 'voortraject', on: '2023-01-01' }, { 'If-Match': read.headers.etag });
      expectStatus(response, 201);
      expect(response.body.version).toBe(read.body.version + 1);
      expect(response.headers.etag).toBe(`"${read.body.version + 1}"`);

      const weak = await api.command(dossierId, 'vdab-registered', { on: '2023-02-01' }, { 'If-Match': `W/${response.headers.etag}` });
      expectStatus(weak, 201);
      const any = await api.command(dossierId, 'employment-started', { on: '2023-03-01' }, { 'If-Match': '*' });
      expectStatus(any, 201);
    });

    it('a rule still applies with a matching If-Match (409, not 201)', async () => {
      const read = await api.get(dossierId);
      const response = await api.command(dossierId, 'housed', commandBody('housed', '2023-05-01'), { 'If-Match': read.headers.etag });
      expectProblem(response, 409, 'already-housed');
    });

    it.each(['3', 'abc', '"abc"', '"-1"', '"1.5"', '"1234567890"', '"1", "2"'])('malformed If-Match %j → 400', async (value) => {
      const response = await expectNothingAppended(api, dossierId, () =>
        api.command(dossierId, 'rehoused', commandBody('rehoused', '2023-06-01'), { 'If-Match': value }),
      );
      expectProblem(response, 400, 'invalid-if-match');
    });

    it('ETag on GET equals the version in the body and moves with each command', async () => {
      const before = await api.get(dossierId);
      expect(before.headers.etag).toBe(`"${before.body.version}"`);
      await api.recorded(dossierId, 'rehoused', commandBody('rehoused', '2023-06-01'));
      const after = await api.get(dossierId);
      expect(after.headers.etag).toBe(`"${before.body.version + 1}"`);
    });
  });

  describe('Idempotency-Key format', () => {
    it.each(['', 'a'.repeat(256), 'with space', 'naïve'])('an invalid key %j → 400 problem, nothing appended', async (key) => {
      const response = await expectNothingAppended(api, dossierId, () =>
        api.command(dossierId, 'employment-ended', { on: '2023-07-01' }, { 'Idempotency-Key': key }),
      );
      expectProblem(response, 400);
    });
  });

  /**
   * SUSPECTED APP BUGS: these fail until fixed (see the e2e report).
   */
  describe('bad input that must still not be a 500 or slip through', () => {
    it('BUG: a deeply nested JSON body (2000 levels, 8 KB) → 400 problem, not 500, nothing appended', async () => {
      // class-transformer's plainToInstance (ValidationPipe transform: true) recurses once per
      // level and overflows the stack; the RangeError becomes a 500.
      const nested = `${'['.repeat(2000)}${']'.repeat(2000)}`;
      const post = (path: string, body: string) =>
        testApp.http().post(path).set('Authorization', `Bearer ${api.token}`).set('Content-Type', 'application/json').send(body);

      const registration = await post('/dossiers', `{"person":${nested}}`);
      expect(registration.status).not.toBe(500);
      expectProblem(registration, 400);

      const id = await api.registered();
      const command = await expectNothingAppended(api, id, () =>
        post(`/dossiers/${id}/vdab-registered`, `{"on":"2023-01-01","x":${nested}}`),
      );
      expect(command.status).not.toBe(500);
      expectProblem(command, 400);
    });

    it('BUG: unknown fields named like Object.prototype members are refused like any unknown field', async () => {
      // class-transformer drops keys whose name resolves to an inherited function (toString,
      // constructor, hasOwnProperty...) and __proto__, so the whitelist never sees them and the
      // command is accepted with the field silently ignored.
      for (const name of ['toString', 'constructor', 'hasOwnProperty', '__proto__']) {
        const id = await api.registered();
        const response = await expectNothingAppended(api, id, () =>
          testApp
            .http()
            .post(`/dossiers/${id}/vdab-registered`)
            .set('Authorization', `Bearer ${api.token}`)
            .set('Content-Type', 'application/json')
            .send(`{"on":"2023-01-01",${JSON.stringify(name)}:"x"}`),
        );
        const problem = expectProblem(response, 400, 'validation-failed');
        expect(fieldsOf(problem)).toEqual([name]);
      }
    });
  });

  it('no error anywhere above leaked a stack trace (sanity of the leak check itself)', () => {
    expect(() => expectNoLeak('{"detail":"x"}')).not.toThrow();
    expect(() => expectNoLeak('Error: boom\n    at Object.<anonymous> (/work/main/apps/api/src/x.ts:1:2)')).toThrow();
    expect(() => expectNoLeak('{"detail":"TypeError: Cannot read properties of undefined"}')).toThrow();
  });
});
