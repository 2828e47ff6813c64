import { expectProblem, expectStatus } from './support/dossier-fixtures';
import { eventStoreUnderTest } from './support/event-store-under-test';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * What the service serves for the dashboard, without a browser (test/dashboard.browser.spec.ts
 * drives it in Chromium): a public page whose scripts are files of its own origin, so the
 * Content-Security-Policy (script-src 'self') lets them run; only the listed files; and the
 * page in the OpenAPI document, its assets not.
 */
describe(`dashboard files (${eventStoreUnderTest()} store)`, () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp();
  });
  afterAll(() => testApp.close());

  it('serves the page without a token, under a CSP that allows only its own scripts', async () => {
    const response = await testApp.http().get('/dashboard');
    expectStatus(response, 200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).toContain("script-src-attr 'none'");
    const html = response.text;
    // Every script is a file (no inline code, no event-handler attributes), every file from here.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map(([, attributes]) => /\bsrc="([^"]+)"/.exec(attributes)?.[1])).toEqual([
      '/dashboard/assets/chart.umd.min.js',
      '/dashboard/assets/oidc-client-ts.min.js',
      '/dashboard/assets/dashboard.js',
    ]);
    expect(scripts.every(([, , body]) => body.trim() === '')).toBe(true);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('tells browsers to upgrade insecure requests, and isolates the window, only when BEHIND_TLS says the service is reached over HTTPS', async () => {
    // Over plain HTTP on a host name other than localhost, the upgrade sends every asset to https: a blank page.
    const plain = await testApp.http().get('/dashboard');
    expect(plain.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(plain.headers['cross-origin-opener-policy']).toBeUndefined();
    expect((await testApp.http().get('/docs')).headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    const behindTls = await startTestApp({ BEHIND_TLS: 'true' });
    try {
      const secure = await behindTls.http().get('/dashboard');
      expect(secure.headers['content-security-policy']).toContain('upgrade-insecure-requests');
      expect(secure.headers['cross-origin-opener-policy']).toBe('same-origin');
    } finally {
      await behindTls.close();
    }
  });

  it.each([
    ['dashboard.js', 'text/javascript; charset=utf-8', 'sessionStorage'],
    ['dashboard.css', 'text/css; charset=utf-8', '.suppressed'],
    ['chart.umd.min.js', 'text/javascript; charset=utf-8', 'Chart.js v4'],
    ['oidc-client-ts.min.js', 'text/javascript; charset=utf-8', 'UserManager'],
    ['municipalities.json', 'application/json; charset=utf-8', '"name":"Hasselt"'],
    ['settings.json', 'application/json; charset=utf-8', '{"signIn":"token"}'],
  ])('serves %s', async (file, type, content) => {
    const response = await testApp.http().get(`/dashboard/assets/${file}`);
    expectStatus(response, 200);
    expect(response.headers['content-type']).toBe(type);
    expect(response.text).toContain(content);
  });

  it.each(['index.html', 'dashboard.controller.ts', '..%2Fdashboard.controller.ts', 'constructor', '__proto__'])(
    'serves nothing else: %s is 404',
    async (file) => {
      expectProblem(await testApp.http().get(`/dashboard/assets/${file}`), 404, 'not-found');
    },
  );

  it('offers the drill-down every municipality since protection started, merged ones with their end', async () => {
    const municipalities = (await testApp.http().get('/dashboard/assets/municipalities.json')).body as Array<{
      nis: string;
      name: string;
      province: string | null;
      until: string | null;
    }>;
    const byNis = new Map(municipalities.map((m) => [m.nis, m]));
    expect(byNis.get('72043')).toEqual({ nis: '72043', name: 'Pelt', province: '70000', until: null });
    // Hasselt and Kortessem became Hasselt 71072 in 2025; dossiers of before keep 71022.
    expect(byNis.get('71072')).toMatchObject({ name: 'Hasselt', until: null });
    expect(byNis.get('71022')).toMatchObject({ name: 'Hasselt', until: '2024-12-31' });
    expect(byNis.get('21004')).toMatchObject({ province: null, until: null });
    // Borsbeek merged into Antwerpen on 1 January 2025: its dossiers of before keep its code.
    expect(byNis.get('11007')).toMatchObject({ name: 'Borsbeek', province: '10000', until: '2024-12-31' });
    expect(municipalities.filter((m) => m.province === null)).toHaveLength(19);
    expect(municipalities.length).toBeGreaterThan(300);
  });

  it('documents the page in OpenAPI, not its assets', async () => {
    const document = (await testApp.http().get('/docs/openapi.json')).body as { paths: Record<string, unknown> };
    const dashboard = Object.keys(document.paths).filter((path) => path.startsWith('/dashboard'));
    expect(dashboard).toEqual(['/dashboard']);
  });
});
