import { startTestApp, type TestApp } from './support/test-app';

describe('dossier lifecycle over HTTP', () => {
  let testApp: TestApp;
  let staff: string;

  beforeAll(async () => {
    testApp = await startTestApp();
    staff = await testApp.token('staff', 'alice');
  });
  afterAll(() => testApp.close());

  it('registers a person and reads the dossier back', async () => {
    const created = await testApp
      .http()
      .post('/dossiers')
      .set('Authorization', `Bearer ${staff}`)
      .send({
        person: { givenName: 'Olena', familyName: 'Kovalenko', birthDate: '1985-07-30', nationality: 'UKR' },
        protection: { grantedOn: '2022-03-21' },
        municipality: '11002',
        registeredOn: '2022-03-24',
      })
      .expect(201);
    expect(created.body).toEqual({ dossierId: expect.any(String), version: 1 });
    expect(created.headers.etag).toBe('"1"');
    const read = await testApp.http().get(created.headers.location).set('Authorization', `Bearer ${staff}`).expect(200);
    expect(read.body).toMatchObject({ dossierId: created.body.dossierId, version: 1, active: true, municipality: '11002' });
  });
});
