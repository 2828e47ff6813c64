import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DOSSIER_RULES } from '../libs/domain/src';
import { loadProblemPages } from '../apps/api/src/problems/problem-pages';
import { DossierApi, expectProblem, expectStatus } from './support/dossier-fixtures';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * Problem `type` URIs resolve: GET /problems/{slug} serves the docs/errors.md entry of every
 * type, without a token; the types real answers carry lead there; and every type the code can
 * answer with is documented. Store-independent: the PostgreSQL store only.
 */

const ROOT = join(__dirname, '..');

/** Every .ts file under a directory, tests left out. */
function sources(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The slugs the code can answer with: problem(status, 'slug', …), literal /problems/slug types, the status table, the domain's rules. */
function slugsInCode(): string[] {
  const slugs = new Set<string>(DOSSIER_RULES);
  for (const file of [...sources(join(ROOT, 'apps')), ...sources(join(ROOT, 'libs'))]) {
    const text = readFileSync(file, 'utf8');
    for (const [, slug] of text.matchAll(/\bproblem\(\s*[\w.]+,\s*'([a-z0-9-]+)'/g)) slugs.add(slug);
    for (const [, slug] of text.matchAll(/'\/problems\/([a-z0-9-]+)'/g)) slugs.add(slug);
    if (file.endsWith(join('http', 'problem.ts'))) for (const [, slug] of text.matchAll(/\[\s*'([a-z0-9-]+)',\s*'[A-Z]/g)) slugs.add(slug);
  }
  return [...slugs].sort();
}

describe('problem type pages', () => {
  let testApp: TestApp;
  const pages = loadProblemPages();

  beforeAll(async () => {
    testApp = await startTestApp();
  });
  afterAll(() => testApp.close());

  it('documents every problem type the code can answer with', () => {
    const undocumented = slugsInCode().filter((slug) => !pages.has(slug));
    expect(undocumented).toEqual([]);
  });

  it('serves a page for every documented type, without a token', async () => {
    expect(pages.size).toBeGreaterThan(40);
    for (const [slug, page] of pages) {
      const response = await testApp.http().get(`/problems/${slug}`);
      expectStatus(response, 200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect({ slug, heading: response.text.includes(`<h1><code>/problems/${slug}</code></h1>`), status: response.text.includes(`<dd>${page.status}</dd>`) }).toEqual({
        slug,
        heading: true,
        status: true,
      });
    }
  });

  it('answers 404 not-found for a type that does not exist', async () => {
    expectProblem(await testApp.http().get('/problems/no-such-problem'), 404, 'not-found');
    expectProblem(await testApp.http().get('/problems/__proto__'), 404, 'not-found');
  });

  it('leads from the type of real answers to the page that explains it', async () => {
    const staff = new DossierApi(testApp, await testApp.token('staff'));
    const dossierId = await staff.registered();
    const answers = [
      await testApp.http().get(`/dossiers/${dossierId}`),
      await testApp.http().get(`/dossiers/${dossierId}`).set('Authorization', 'Bearer not-a-token'),
      await staff.get('00000000-0000-4000-8000-000000000000'),
      await staff.command(dossierId, 'housed', { on: 'yesterday' }),
      await staff.command(dossierId, 'employment-ended', { on: '2022-04-01' }),
      await staff.command(dossierId, 'vdab-registered', { on: '2022-04-01' }, { 'If-Match': '"7"' }),
      await testApp.http().delete(`/dossiers/${dossierId}`).set('Authorization', `Bearer ${staff.token}`),
    ];
    expect(answers.map((answer) => answer.body.type)).toEqual([
      '/problems/unauthenticated',
      '/problems/invalid-token',
      '/problems/dossier-not-found',
      '/problems/validation-failed',
      '/problems/not-employed',
      '/problems/version-mismatch',
      '/problems/method-not-allowed',
    ]);
    for (const answer of answers) {
      const page = await testApp.http().get(answer.body.type);
      expectStatus(page, 200);
      expect(page.text).toContain(`<dd>${answer.status}</dd>`);
    }
  });
});
