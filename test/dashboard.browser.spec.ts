import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig, signDevToken } from '../libs/platform/src';
import { expectStatus, registrationBody, today } from './support/dossier-fixtures';
import { browserTestsRequired, findChromium } from './support/chromium';
import { startOidcProvider, type TestOidcProvider } from './support/oidc-provider';
import { waitForProjections } from './support/projections';
import { seedOverHttp } from './support/seed-over-http';
import { newDataDir, startTestApp, type TestApp } from './support/test-app';

/**
 * The analysts' dashboard in a real browser: Debian's Chromium driven by playwright-core, on the
 * PostgreSQL store only (it tests the page, not the stores).
 *
 * With the embedded default (a pasted token): the service gets realistic histories over HTTP
 * (the seeder's generator, dates up to 2025-06-30, so the same figures on any day) and is opened
 * under a host name that is not localhost (dossiers.test, mapped to 127.0.0.1 inside Chromium), as
 * on a VM reached over plain HTTP: the page and Swagger UI must render there. The page draws its
 * charts from /statistics/*, in Dutch or English, per month, quarter or year, per province and
 * municipality; every chart downloads the API's CSV; tables stay in their cards at 1366 px and
 * the page never scrolls sideways at 390 px; axe-core finds nothing serious or critical.
 *
 * With an OIDC provider (test/support/oidc-provider.ts, built on jose): the page signs in with
 * the authorization code flow and PKCE, and the service verifies the provider's tokens through
 * AUTH_JWKS_URL.
 *
 * Screenshots go to test/artifacts/. Without a Chromium the suite is skipped, saying why; with
 * REQUIRE_BROWSER_TESTS=1 (CI) it fails.
 */

type Cell = { value: number | null; suppressed: boolean };
interface ChartState {
  id: string;
  labels: string[];
  datasets: Array<{ label: string; data: Array<number | null>; suppressed: boolean[] }>;
  /** Canvas pixels that are not transparent. */
  painted: number;
}
interface Layout {
  sections: Array<{ id: string; left: number; right: number; tableLeft: number; tableRight: number; wrapRight: number; rows: number }>;
  scrollWidth: number;
  clientWidth: number;
}
type Violation = { id: string; impact: string; help: string; nodes: string[] };

const ARTIFACTS = join(__dirname, 'artifacts');
const SEED_TODAY = '2025-06-30';
/** An end date still ahead, so projected; one that has passed is answered as observed. */
const END_AHEAD = `${Number(today().slice(0, 4)) + 2}-03-04`;
const HOST = 'dossiers.test';
const CANVASES = ['funnel-chart', 'outlook-chart', 'stock-chart', 'flows-chart', 'vdab-chart', 'people-chart', 'breakdown-chart'];
const SECTIONS = ['funnel', 'outlook', 'stock', 'flows', 'vdab', 'people', 'breakdown'];
const LIMBURG = '70000';
/** Enough for every chart and some suppressed cells; DASHBOARD_TEST_PERSONS=2000 (minutes) took docs/dashboard.png. */
const PERSONS = Number(process.env.DASHBOARD_TEST_PERSONS ?? 250);
/** Per test: a load is five requests, on a machine busy with the other specs. */
const PAGE_TIMEOUT = 90_000;
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Runs in the page: what Chart.js holds for each canvas, and how much of it is painted. */
const CHART_STATE = `[...document.querySelectorAll('canvas')].map((canvas) => {
  const chart = Chart.getChart(canvas);
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
  return {
    id: canvas.id,
    labels: chart ? chart.data.labels : [],
    datasets: chart ? chart.data.datasets.map((set) => ({ label: set.label, data: set.data, suppressed: set.suppressed })) : [],
    painted,
  };
})`;

/** Runs in the page: every table shown, then where each section, its table and the table's scroll box are, and the page's width. */
const LAYOUT = `(() => {
  document.querySelectorAll('details').forEach((details) => { details.open = true; });
  const sections = [...document.querySelectorAll('main section')].map((section) => {
    const box = section.getBoundingClientRect();
    const table = section.querySelector('table').getBoundingClientRect();
    return {
      id: section.id, left: box.left, right: box.right, tableLeft: table.left, tableRight: table.right,
      wrapRight: section.querySelector('.table-wrap').getBoundingClientRect().right,
      rows: section.querySelectorAll('tbody tr').length,
    };
  });
  return { sections, scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth };
})()`;

/** Runs in the page after axe-core: the violations of impact serious or critical. */
const AXE_RUN = `axe.run(document, { resultTypes: ['violations'] }).then((result) => result.violations
  .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
  .map((violation) => ({ id: violation.id, impact: violation.impact, help: violation.help, nodes: violation.nodes.map((node) => node.target.join(' ')) })))`;

const chromiumFound = findChromium();
const valueOf = (cell: Cell) => (cell.suppressed ? null : cell.value);

if ('missing' in chromiumFound && !browserTestsRequired()) {
  // Said once in the run's output too, where skipped tests' names are not listed.
  console.warn(`Skipping test/dashboard.browser.spec.ts: ${chromiumFound.missing}. REQUIRE_BROWSER_TESTS=1 makes this a failure.`);
  // Skipped only where no Chromium is installed (a developer's machine): CI installs it and sets REQUIRE_BROWSER_TESTS=1.
  describe.skip(`dashboard in headless Chromium: SKIPPED, ${chromiumFound.missing} (REQUIRE_BROWSER_TESTS=1 makes this fail)`, () => {
    it('loads, draws, filters and shows suppressed cells', () => undefined);
  });
} else if ('missing' in chromiumFound) {
  describe('dashboard in headless Chromium', () => {
    it('has a Chromium to run in (REQUIRE_BROWSER_TESTS=1)', () => {
      throw new Error(`REQUIRE_BROWSER_TESTS=1 but ${chromiumFound.missing}`);
    });
  });
} else {
  const launch = () =>
    chromium.launch({ executablePath: chromiumFound.path, headless: true, args: [`--host-resolver-rules=MAP ${HOST} 127.0.0.1`] });

  /** Watches a page for console errors, page errors and failed requests: none is expected. */
  function watch(page: Page): string[] {
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
    return problems;
  }

  const chartStateOf = async (page: Page): Promise<Record<string, ChartState>> =>
    Object.fromEntries(((await page.evaluate(CHART_STATE)) as ChartState[]).map((state) => [state.id, state]));
  const series = (state: ChartState, label: string) => {
    const found = state.datasets.find((set) => set.label === label);
    if (!found) throw new Error(`no series "${label}" in ${state.id}: ${state.datasets.map((set) => set.label).join(', ')}`);
    return found.data;
  };

  describe('dashboard in headless Chromium, embedded default (a pasted token)', () => {
    let testApp: TestApp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let analyst: string;
    let base: string;
    let problems: string[];

    const api = async (path: string, accept = 'application/json') => {
      const response = await testApp.http().get(path).set('Authorization', `Bearer ${analyst}`).set('Accept', accept);
      expectStatus(response, 200);
      return accept === 'text/csv' ? { text: response.text, disposition: response.headers['content-disposition'] } : response.body;
    };
    const chartState = () => chartStateOf(page);
    const loads = async () => Number(await page.locator('body').getAttribute('data-loads'));
    const status = async () => (await page.locator('#status').textContent()) ?? '';

    /** Waits for the page's next load after `before` to finish (polling: the page's CSP forbids eval, so no waitForFunction). */
    async function settled(before: number): Promise<string> {
      const deadline = Date.now() + 30_000;
      while ((await loads()) <= before) {
        if (Date.now() > deadline) throw new Error(`the dashboard did not finish loading: ${await status()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return (await page.locator('body').getAttribute('data-state'))!;
    }

    /** As settled(), and the load must have ended ready, else the page's status says why. */
    async function loaded(before: number): Promise<void> {
      const state = await settled(before);
      if (state !== 'ready') throw new Error(`the dashboard ended "${state}": ${await status()}`);
    }

    /** Does `change` and waits until the load it causes is ready. */
    async function after(change: () => Promise<unknown>): Promise<void> {
      const before = await loads();
      await change();
      await loaded(before);
    }

    const screenshot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

    async function axeViolations(): Promise<Violation[]> {
      if ((await page.evaluate('typeof axe')) === 'undefined') await page.evaluate(AXE);
      return (await page.evaluate(AXE_RUN)) as Violation[];
    }

    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      testApp = await startTestApp();
      analyst = await testApp.token('analyst', 'dashboard-analyst');
      await seedOverHttp(testApp, { persons: PERSONS, seed: 2022, today: SEED_TODAY, concurrency: 8 });
      await waitForProjections(testApp, 120_000);
      const { port } = new URL(await testApp.app.getUrl());
      base = `http://${HOST}:${port}`;
      browser = await launch();
      context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
      page = await context.newPage();
      problems = watch(page);
    }, 30 * 60_000);

    afterAll(async () => {
      await browser?.close();
      await testApp?.close();
    });

    it('renders under a host name that is not localhost, over plain HTTP: Dutch by default, asking for a token', async () => {
      await page.goto(`${base}/dashboard?from=2022-03&to=2025-06&cohort=2022-03&endDates=2024-12-31,${END_AHEAD}`);
      await page.locator('body[data-state="no-token"]').waitFor({ state: 'attached' });
      expect(new URL(page.url()).host).toBe(new URL(base).host);
      expect(await page.locator('html').getAttribute('lang')).toBe('nl');
      expect(await page.locator('h1').textContent()).toBe('Tijdelijke bescherming in Vlaanderen: dashboard voor analisten');
      expect(await status()).toContain('Plak een token');
      expect(await page.locator('#token-form').isVisible()).toBe(true);
      expect(await page.locator('#oidc-sign-in').isVisible()).toBe(false);
      // Chart.js ran: its script came over http from this host, not upgraded to https.
      expect(await page.evaluate('typeof Chart')).toBe('function');
      expect(await axeViolations()).toEqual([]);
      await screenshot('dashboard-no-token');
      expect(problems).toEqual([]);
    }, PAGE_TIMEOUT);

    it('draws every chart from the statistics with a pasted analyst token', async () => {
      await after(async () => {
        await page.fill('#token', analyst);
        await page.click('#token-form button[type=submit]');
      });
      await screenshot('dashboard');
      const charts = await chartState();
      for (const id of CANVASES) {
        expect({ id, painted: charts[id].painted > 2000, datasets: charts[id].datasets.length > 0 }).toEqual({ id, painted: true, datasets: true });
      }
      // The figures are the API's, suppressed ones null (never 0), the labels Dutch.
      const funnel = await api('/statistics/funnel?cohort=2022-03&asOf=2025-06-30');
      expect(series(charts['funnel-chart'], 'Bereikte deze en elke vorige stap')).toEqual(funnel.steps.map((step: { count: Cell }) => valueOf(step.count)));
      const flows = await api('/statistics/flows?from=2022-03-01&to=2025-06-30&interval=month');
      expect(charts['flows-chart'].labels).toEqual(flows.periods.map((period: { period: string }) => period.period));
      expect(series(charts['flows-chart'], 'Inschrijvingen')).toEqual(
        flows.periods.map((period: { groups: Array<{ registrations: Cell }> }) => valueOf(period.groups[0].registrations)),
      );
      const stock = await api('/statistics/stock-over-time?from=2022-03-01&to=2025-06-30&interval=month');
      expect(charts['stock-chart'].labels).toEqual(stock.points.map((point: { asOf: string }) => point.asOf));
      expect(series(charts['stock-chart'], 'Gehuisvest')).toEqual(stock.points.map((point: { groups: Array<{ byStage: Record<string, Cell> }> }) => valueOf(point.groups[0].byStage.housed)));
      // The transitioned persons: active besides temporary protection, hidden when temporary protection is.
      type StockGroup = { active: Cell; byResidenceStatus: Record<string, Cell> };
      const transitioned = ({ active, byResidenceStatus }: StockGroup) =>
        active.suppressed || byResidenceStatus['temporary-protection'].suppressed ? null : active.value! - byResidenceStatus['temporary-protection'].value!;
      expect(series(charts['stock-chart'], 'Ander verblijfsstatuut')).toEqual(stock.points.map((point: { groups: StockGroup[] }) => transitioned(point.groups[0])));
      const outlook = await api(`/statistics/outlook?endDate=2024-12-31&endDate=${END_AHEAD}`);
      expect(charts['outlook-chart'].labels).toEqual(['2024-12-31 (waargenomen)', `${END_AHEAD} (projectie, trend)`]);
      type OutlookGroup = { underTemporaryProtection: Cell; transitioned: { total: Cell }; left: Cell };
      const outlookGroups = outlook.scenarios.map((s: { groups: OutlookGroup[] }) => s.groups[0]);
      expect(series(charts['outlook-chart'], 'Onder tijdelijke bescherming')).toEqual(outlookGroups.map((g: OutlookGroup) => valueOf(g.underTemporaryProtection)));
      expect(series(charts['outlook-chart'], 'Ander verblijfsstatuut')).toEqual(outlookGroups.map((g: OutlookGroup) => valueOf(g.transitioned.total)));
      expect(series(charts['outlook-chart'], 'Vertrokken')).toEqual(outlookGroups.map((g: OutlookGroup) => valueOf(g.left)));
      expect(await page.locator('#outlook .methods li').count()).toBe(1);
      expect(await page.locator('#outlook .methods li').textContent()).toContain(`${END_AHEAD} is een projectie`);
      // VDAB's pair at every month end, as VDAB counts it (those who left since too).
      const vdab = await api('/statistics/vdab?from=2022-03-01&to=2025-06-30&interval=month');
      type VdabPair = { registeredAtVdab: Cell; everEmployed: Cell; employedNow: Cell };
      expect(charts['vdab-chart'].labels).toEqual(vdab.points.map((point: { on: string }) => point.on));
      for (const [label, key] of [['Ingeschreven bij VDAB', 'registeredAtVdab'], ['Ooit aan het werk', 'everEmployed'], ['Nu aan het werk', 'employedNow']] as const) {
        expect(series(charts['vdab-chart'], label)).toEqual(vdab.points.map((point: { total: VdabPair }) => valueOf(point.total[key])));
      }
      expect(Math.max(...series(charts['vdab-chart'], 'Nu aan het werk').map((v) => v ?? 0))).toBeGreaterThan(0);
      // By age band and sex on To: one table of the API, a band and sex nobody is in a real zero.
      const people = await api('/statistics/stock?asOf=2025-06-30&groupBy=sex,ageBand');
      type PeopleGroup = { group: { sex: string; ageBand: string }; active: Cell };
      const bands = ['0-17', '18-24', '25-44', '45-64', '65+', 'unknown'];
      expect(charts['people-chart'].labels).toEqual(['0-17', '18-24', '25-44', '45-64', '65+', 'leeftijd onbekend']);
      for (const [label, sex] of [['vrouw', 'female'], ['man', 'male'], ['X', 'x'], ['onbekend', 'unknown']] as const) {
        expect(series(charts['people-chart'], label)).toEqual(
          bands.map((band) => {
            const group = (people.groups as PeopleGroup[]).find((g) => g.group.sex === sex && g.group.ageBand === band);
            return group ? valueOf(group.active) : 0;
          }),
        );
      }
      expect(series(charts['people-chart'], 'vrouw').some((v) => (v ?? 0) > 0)).toBe(true);
      expect(await status()).toMatch(/^Geladen om/);
      expect(problems).toEqual([]);
    }, PAGE_TIMEOUT);

    it('switches to English and back: labels, tables, messages and the address follow', async () => {
      await page.click('button[data-lang="en"]');
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      expect(await page.locator('h1').textContent()).toBe("Temporary protection in Flanders: analysts' dashboard");
      expect(await page.locator('button[data-lang="en"]').getAttribute('aria-pressed')).toBe('true');
      expect(new URL(page.url()).searchParams.get('lang')).toBe('en');
      const charts = await chartState();
      expect(charts['flows-chart'].datasets.map((set) => set.label)).toContain('Registrations');
      expect(charts['outlook-chart'].labels).toEqual(['2024-12-31 (observed)', `${END_AHEAD} (projection, trend)`]);
      expect(await page.locator('#funnel-table thead').textContent()).toContain('reached at all');
      expect(await page.locator('#suppression-note').textContent()).toContain('fewer than 5 persons');
      expect(await status()).toMatch(/^Loaded at/);
      expect(await axeViolations()).toEqual([]);
      await screenshot('dashboard-english');

      // The choice is kept: a reload stays English.
      await page.reload();
      await page.locator('body[data-state="ready"]').waitFor({ state: 'attached' });
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      await page.click('button[data-lang="nl"]');
      expect(await page.locator('html').getAttribute('lang')).toBe('nl');
      expect(await page.locator('#suppression-note').textContent()).toContain('minder dan 5 personen');
      expect(new URL(page.url()).searchParams.has('lang')).toBe(false);
      expect(problems).toEqual([]);
    }, PAGE_TIMEOUT);

    it('shows the flows and the stock per month, quarter or year', async () => {
      for (const interval of ['quarter', 'year', 'month']) {
        await after(() => page.selectOption('#interval', interval));
        const charts = await chartState();
        const flows = await api(`/statistics/flows?from=2022-03-01&to=2025-06-30&interval=${interval}`);
        const stock = await api(`/statistics/stock-over-time?from=2022-03-01&to=2025-06-30&interval=${interval}`);
        expect(charts['flows-chart'].labels).toEqual(flows.periods.map((period: { period: string }) => period.period));
        expect(series(charts['flows-chart'], 'Vertrekken')).toEqual(
          flows.periods.map((period: { groups: Array<{ departures: { total: Cell } }> }) => valueOf(period.groups[0].departures.total)),
        );
        expect(charts['stock-chart'].labels).toEqual(stock.points.map((point: { asOf: string }) => point.asOf));
        expect(new URL(page.url()).searchParams.get('interval')).toBe(interval);
      }
      expect((await chartState())['flows-chart'].labels[0]).toBe('2022-03');
      expect(problems).toEqual([]);
    }, PAGE_TIMEOUT);

    it("puts the analyst's own scenario beside the trend: each projected end date again under the own transition rate", async () => {
      await page.fill('#transition-rate', '0.05');
      await after(() => page.press('#transition-rate', 'Enter'));
      expect(new URL(page.url()).searchParams.get('transitionRate')).toBe('0.05');
      const charts = await chartState();
      expect(charts['outlook-chart'].labels).toEqual(['2024-12-31 (waargenomen)', `${END_AHEAD} (projectie, trend)`, `${END_AHEAD} (eigen: 0.05 overgangen per maand)`]);
      const trend = await api(`/statistics/outlook?endDate=2024-12-31&endDate=${END_AHEAD}`);
      const own = await api(`/statistics/outlook?endDate=2024-12-31&endDate=${END_AHEAD}&transitionRate=0.05`);
      expect(own.scenario.transitions).toMatchObject({ monthly: 0.05, source: 'given' });
      type OutlookGroup = { transitioned: { total: Cell } };
      expect(series(charts['outlook-chart'], 'Ander verblijfsstatuut')).toEqual(
        [...trend.scenarios, own.scenarios[1]].map((s: { groups: OutlookGroup[] }) => valueOf(s.groups[0].transitioned.total)),
      );
      expect(await page.locator('#outlook .methods li').count()).toBe(2);
      // Not a rate: said so, nothing drawn from it.
      await page.fill('#transition-rate', '5%');
      await page.press('#transition-rate', 'Enter');
      await page.locator('#status').filter({ hasText: 'eigen scenario' }).waitFor();
      await page.fill('#transition-rate', '');
      await after(() => page.press('#transition-rate', 'Enter'));
      expect((await chartState())['outlook-chart'].labels).toHaveLength(2);
      expect(problems).toEqual([]);
    }, PAGE_TIMEOUT);

    it('drills down: a province shows its municipalities, a municipality its own stock and flows', async () => {
      const everywhere = await chartState();
      await after(() => page.selectOption('#province', LIMBURG));
      expect(page.url()).toContain(`province=${LIMBURG}`);
      // The second select lists Limburg's municipalities, merged ones with the year they ended.
      const reference = (await (await testApp.http().get('/dashboard/assets/municipalities.json')).body) as Array<{ nis: string; name: string; province: string | null }>;
      const inLimburg = reference.filter((m) => m.province === LIMBURG).map((m) => m.nis);
      const offered = await page.locator('#municipality option').evaluateAll((options) => options.map((option) => (option as unknown as { value: string }).value));
      expect(offered).toEqual(['', ...inLimburg]);
      expect(await page.locator('#breakdown h2').textContent()).toBe('Per gemeente: Limburg');
      const byMunicipality = await api('/statistics/stock?asOf=2025-06-30&groupBy=municipality');
      const limburgGroups = (byMunicipality.groups as Array<{ group: { nis: string; name: string }; active: Cell; byStage: Record<string, Cell> }>).filter((g) =>
        inLimburg.includes(g.group.nis),
      );
      const limburg = await chartState();
      expect(limburg['breakdown-chart'].labels).toEqual(limburgGroups.map((g) => g.group.name));
      expect(series(limburg['breakdown-chart'], 'Gehuisvest')).toEqual(limburgGroups.map((g) => valueOf(g.byStage.housed)));
      expect(limburg['flows-chart'].datasets).not.toEqual(everywhere['flows-chart'].datasets);
      // The funnel is the cohort's in Limburg: the province's own funnel from the API.
      const funnel = await api('/statistics/funnel?cohort=2022-03&asOf=2025-06-30&groupBy=province');
      const limburgFunnel = (funnel.groups as Array<{ group: { nis: string }; steps: Array<{ count: Cell }> }>).find((g) => g.group.nis === LIMBURG)!;
      expect(series(limburg['funnel-chart'], 'Bereikte deze en elke vorige stap')).toEqual(limburgFunnel.steps.map((step) => valueOf(step.count)));
      expect(await page.locator('#funnel .scope').textContent()).toContain('Limburg');
      const vdab = await api('/statistics/vdab?from=2022-03-01&to=2025-06-30&interval=month&groupBy=province');
      expect(series(limburg['vdab-chart'], 'Ingeschreven bij VDAB')).toEqual(
        vdab.points.map((point: { groups: Array<{ group: { nis: string }; registeredAtVdab: Cell }> }) => {
          const group = point.groups.find((g) => g.group.nis === LIMBURG);
          return group ? valueOf(group.registeredAtVdab) : 0;
        }),
      );
      await screenshot('dashboard-limburg');

      // The municipality with the most active dossiers, so there is something to see.
      const biggest = [...limburgGroups].sort((a, b) => (b.active.value ?? 0) - (a.active.value ?? 0))[0];
      await after(() => page.selectOption('#municipality', biggest.group.nis));
      expect(page.url()).toContain(`municipality=${biggest.group.nis}`);
      const one = await chartState();
      const flows = await api('/statistics/flows?from=2022-03-01&to=2025-06-30&interval=month&groupBy=municipality');
      const registrations = flows.periods.map((period: { groups: Array<{ group: { nis: string }; registrations: Cell }> }) => {
        const group = period.groups.find((g) => g.group.nis === biggest.group.nis);
        return group ? valueOf(group.registrations) : 0;
      });
      expect(series(one['flows-chart'], 'Inschrijvingen')).toEqual(registrations);
      const stock = await api('/statistics/stock-over-time?from=2022-03-01&to=2025-06-30&interval=month&groupBy=municipality');
      const active = stock.points.map((point: { groups: Array<{ group: { nis: string }; active: Cell }> }) => {
        const group = point.groups.find((g) => g.group.nis === biggest.group.nis);
        return group ? valueOf(group.active) : 0;
      });
      expect(series(one['stock-chart'], 'actief')).toEqual(active);
      expect(await page.locator('#flows .scope').textContent()).toContain(biggest.group.name);

      // Back to everywhere: the municipality goes with the province.
      await after(() => page.selectOption('#province', ''));
      expect(await page.locator('#municipality').isDisabled()).toBe(true);
      expect(new URL(page.url()).searchParams.get('municipality')).toBeNull();
      expect(problems).toEqual([]);
    }, PAGE_TIMEOUT);

    it('puts every chart on the map after the 2025 mergers when asked: the merged-away municipalities leave the list, the API translates', async () => {
      await after(() => page.selectOption('#map', '2025-01-01'));
      expect(new URL(page.url()).searchParams.get('map')).toBe('2025-01-01');
      const charts = await chartState();
      const breakdown = await api('/statistics/stock?asOf=2025-06-30&groupBy=province&map=2025-01-01');
      expect(breakdown.map).toBe('2025-01-01');
      expect(series(charts['breakdown-chart'], 'Gehuisvest')).toEqual(breakdown.groups.map((g: { byStage: Record<string, Cell> }) => valueOf(g.byStage.housed)));
      const flows = await api('/statistics/flows?from=2022-03-01&to=2025-06-30&interval=month&groupBy=none&map=2025-01-01');
      expect(series(charts['flows-chart'], 'Inschrijvingen')).toEqual(flows.periods.map((period: { groups: Array<{ registrations: Cell }> }) => valueOf(period.groups[0].registrations)));
      // Limburg on the 2025 map: Hasselt once (71072), Kortessem and the old Hasselt gone from the list.
      await after(() => page.selectOption('#province', LIMBURG));
      const offered = await page.locator('#municipality option').evaluateAll((options) => options.map((option) => (option as unknown as { value: string }).value));
      expect(offered).toContain('71072');
      expect(offered).not.toContain('71022');
      expect(offered).not.toContain('73040');
      const byMunicipality = await api('/statistics/stock?asOf=2025-06-30&groupBy=municipality&map=2025-01-01');
      const labels = (await chartState())['breakdown-chart'].labels;
      expect(labels).not.toContain('Kortessem');
      expect(labels.filter((label) => label.startsWith('Hasselt'))).toHaveLength(
        (byMunicipality.groups as Array<{ group: { nis: string } }>).some((g) => g.group.nis === '71072') ? 1 : 0,
      );
      // The CSV asks the same question on the same map.
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#breakdown button.csv').click()]);
      const expected = (await api('/statistics/stock?asOf=2025-06-30&groupBy=municipality&map=2025-01-01', 'text/csv')) as { text: string };
      expect(readFileSync((await download.path())!, 'utf8')).toBe(expected.text);
      await after(() => page.selectOption('#province', ''));
      await after(() => page.selectOption('#map', ''));
      expect(new URL(page.url()).searchParams.has('map')).toBe(false);
      expect(problems).toEqual([]);
    }, PAGE_TIMEOUT);

    it('groups every chart by the place of housing when asked (by=housing)', async () => {
      await after(() => page.selectOption('#by', 'housing'));
      expect(new URL(page.url()).searchParams.get('by')).toBe('housing');
      const byHousing = await api('/statistics/stock?asOf=2025-06-30&groupBy=province&by=housing');
      expect(byHousing.by).toBe('housing');
      const charts = await chartState();
      expect(charts['breakdown-chart'].labels).toHaveLength(byHousing.groups.length);
      expect(series(charts['breakdown-chart'], 'Gehuisvest')).toEqual(byHousing.groups.map((g: { byStage: Record<string, Cell> }) => valueOf(g.byStage.housed)));
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#breakdown button.csv').click()]);
      const expected = (await api('/statistics/stock?asOf=2025-06-30&groupBy=province&by=housing', 'text/csv')) as { text: string };
      expect(readFileSync((await download.path())!, 'utf8')).toBe(expected.text);
      await after(() => page.selectOption('#by', ''));
      expect(new URL(page.url()).searchParams.has('by')).toBe(false);
      expect(problems).toEqual([]);
    }, PAGE_TIMEOUT);

    it('shows every chart as recorded at a moment: a registration recorded later is left out; the moment is kept in the address in UTC', async () => {
      // A moment in whole seconds (the field's precision), then a registration recorded after it.
      const moment = new Date(Math.floor(Date.now() / 1000) * 1000);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const staff = await testApp.token('staff', 'dashboard-staff');
      const registered = await testApp
        .http()
        .post('/dossiers')
        .set('Authorization', `Bearer ${staff}`)
        .set('Idempotency-Key', `dashboard-recorded-${moment.getTime()}`)
        .send(registrationBody({ registeredOn: '2025-06-15', municipality: '11002' }));
      expectStatus(registered, 201);
      await waitForProjections(testApp);
      const now = await api('/statistics/stock?asOf=2025-06-30&groupBy=province');
      const then = await api(`/statistics/stock?asOf=2025-06-30&groupBy=province&recordedAsOf=${moment.toISOString()}`);
      const antwerpen = (answer: { groups: Array<{ group: { nis: string | null }; active: Cell }> }) => answer.groups.find((g) => g.group.nis === '10000')!.active.value;
      expect(antwerpen(now)).toBe(antwerpen(then)! + 1);

      // The field takes the browser's own time (the same zone as this process's).
      const pad = (n: number) => String(n).padStart(2, '0');
      const local = `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}T${pad(moment.getHours())}:${pad(moment.getMinutes())}:${pad(moment.getSeconds())}`;
      await after(async () => {
        await page.fill('#recorded-as-of', local);
        await page.locator('#recorded-as-of').dispatchEvent('change');
      });
      expect(new URL(page.url()).searchParams.get('recordedAsOf')).toBe(moment.toISOString());
      expect(await page.locator('#recorded-note').isVisible()).toBe(true);
      expect(await page.locator('#recorded-note').textContent()).toContain('Zoals de dienst het op');
      const charts = await chartState();
      expect(series(charts['breakdown-chart'], 'Ingeschreven')).toEqual(then.groups.map((g: { byStage: Record<string, Cell> }) => valueOf(g.byStage.registered)));
      // Every question asks as recorded at the moment: its CSV too.
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#breakdown button.csv').click()]);
      const expected = (await api(`/statistics/stock?asOf=2025-06-30&groupBy=province&recordedAsOf=${moment.toISOString()}`, 'text/csv')) as { text: string };
      expect(readFileSync((await download.path())!, 'utf8')).toBe(expected.text);
      // A link with the moment opens the same view.
      await page.reload();
      await page.locator('body[data-state="ready"]').waitFor({ state: 'attached' });
      // The field holds the moment normalized (HTML's datetime-local drops ":00" seconds, so one
      // minute in sixty it reads 12:34 rather than 12:34:00): compared as a moment.
      expect(new Date(await page.inputValue('#recorded-as-of')).toISOString()).toBe(moment.toISOString());

      // A moment on a whole minute, which the field shows without seconds, is asked as that moment.
      await after(async () => {
        await page.fill('#recorded-as-of', '2025-07-01T12:00:00');
        await page.locator('#recorded-as-of').dispatchEvent('change');
      });
      expect(new URL(page.url()).searchParams.get('recordedAsOf')).toBe(new Date('2025-07-01T12:00:00').toISOString());
      expect(await page.inputValue('#recorded-as-of')).toBe('2025-07-01T12:00');

      // A moment to come is said to be wrong; nothing is asked.
      await page.fill('#recorded-as-of', '2099-01-01T00:00:00');
      await page.locator('#recorded-as-of').dispatchEvent('change');
      await page.locator('#status').filter({ hasText: 'moment dat voorbij is' }).waitFor();
      await after(async () => {
        await page.fill('#recorded-as-of', '');
        await page.locator('#recorded-as-of').dispatchEvent('change');
      });
      expect(new URL(page.url()).searchParams.has('recordedAsOf')).toBe(false);
      expect(await page.locator('#recorded-note').isVisible()).toBe(false);
      expect(problems).toEqual([]);
    }, PAGE_TIMEOUT);

    it('downloads every chart as the CSV the API gives for its question', async () => {
      const questions: Record<string, string> = {
        funnel: '/statistics/funnel?cohort=2022-03&asOf=2025-06-30&groupBy=none',
        outlook: `/statistics/outlook?endDate=2024-12-31&endDate=${END_AHEAD}&groupBy=none`,
        stock: '/statistics/stock-over-time?from=2022-03-01&to=2025-06-30&interval=month&groupBy=none',
        flows: '/statistics/flows?from=2022-03-01&to=2025-06-30&interval=month&groupBy=none',
        vdab: '/statistics/vdab?from=2022-03-01&to=2025-06-30&interval=month&groupBy=none',
        people: '/statistics/stock?asOf=2025-06-30&groupBy=sex,ageBand',
        breakdown: '/statistics/stock?asOf=2025-06-30&groupBy=province',
      };
      for (const section of SECTIONS) {
        const button = page.locator(`#${section} button.csv`);
        expect(await button.getAttribute('aria-label')).toContain('downloaden als CSV');
        const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
        const expected = (await api(questions[section], 'text/csv')) as { text: string; disposition: string };
        expect({ section, name: download.suggestedFilename() }).toEqual({ section, name: /filename="([^"]+)"/.exec(expected.disposition)![1] });
        expect({ section, csv: readFileSync((await download.path())!, 'utf8') }).toEqual({ section, csv: expected.text });
      }
      expect(problems).toEqual([]);
    }, PAGE_TIMEOUT);

    it('downloads the CSV for Belgian Excel when asked: semicolons and a UTF-8 BOM, as the API gives it', async () => {
      await after(() => page.selectOption('#csv-dialect', 'excel-be'));
      expect(new URL(page.url()).searchParams.get('csvDialect')).toBe('excel-be');
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#flows button.csv').click()]);
      const expected = (await api('/statistics/flows?from=2022-03-01&to=2025-06-30&interval=month&groupBy=none&csvDialect=excel-be', 'text/csv')) as { text: string };
      const bytes = readFileSync((await download.path())!);
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(bytes.toString('utf8')).toBe(expected.text);
      expect(expected.text.split('\n')[0]).toContain(';');
      await after(() => page.selectOption('#csv-dialect', ''));
      expect(problems).toEqual([]);
    }, PAGE_TIMEOUT);

    it('shows suppressed cells as suppressed, exactly where the API suppresses them', async () => {
      const stock = await api('/statistics/stock?asOf=2025-06-30&groupBy=province');
      const charts = await chartState();
      const stages = ['registered', 'housed', 'inburgering', 'vdab', 'employed'];
      let suppressed = 0;
      for (const [row, group] of (stock.groups as Array<{ group: { nis: string | null }; byStage: Record<string, Cell> }>).entries()) {
        for (const [d, stage] of stages.entries()) {
          const cell = group.byStage[stage];
          const text = await page.locator(`#breakdown-table td[data-row="${group.group.nis ?? 'brussels'}"][data-col="${stage}"]`).textContent();
          expect({ stage, text }).toEqual({ stage, text: cell.suppressed ? 'verborgen' : cell.value!.toLocaleString('nl-BE') });
          expect(charts['breakdown-chart'].datasets[d].data[row]).toBe(valueOf(cell));
          expect(charts['breakdown-chart'].datasets[d].suppressed[row]).toBe(cell.suppressed);
          if (cell.suppressed) suppressed++;
        }
      }
      // The data set must have small cells for this test to mean anything.
      expect(suppressed).toBeGreaterThan(0);
      expect(await page.locator('#suppression-note').textContent()).toContain('minder dan 5 personen');
      await page.click('#breakdown summary');
      await page.locator('#breakdown').screenshot({ path: join(ARTIFACTS, 'dashboard-provinces-suppressed.png') });
      expect(problems).toEqual([]);
    }, PAGE_TIMEOUT);

    it('keeps its tables inside their cards at 1366 px, and never scrolls sideways at 390 px', async () => {
      await page.setViewportSize({ width: 1366, height: 900 });
      for (const language of ['en', 'nl']) {
        await page.click(`button[data-lang="${language}"]`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        const wide = (await page.evaluate(LAYOUT)) as Layout;
        expect(wide.scrollWidth).toBeLessThanOrEqual(wide.clientWidth);
        for (const section of wide.sections) {
          expect({ id: section.id, rows: section.rows > 0 }).toEqual({ id: section.id, rows: true });
          // The whole table within the card's edges: nothing to scroll inside it either.
          const inside = section.tableLeft >= section.left && section.tableRight <= section.right;
          expect({ language, id: section.id, inside }).toEqual({ language, id: section.id, inside: true });
        }
      }
      expect(await axeViolations()).toEqual([]);
      await screenshot('dashboard-1366');

      await page.setViewportSize({ width: 390, height: 844 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const narrow = (await page.evaluate(LAYOUT)) as Layout;
      expect(narrow.scrollWidth).toBeLessThanOrEqual(narrow.clientWidth);
      for (const section of narrow.sections) {
        // A table wider than the phone scrolls inside its card.
        expect({ id: section.id, inside: section.right <= narrow.clientWidth && section.wrapRight <= section.right }).toEqual({ id: section.id, inside: true });
      }
      expect(await axeViolations()).toEqual([]);
      await screenshot('dashboard-390');
      await page.setViewportSize({ width: 1440, height: 1000 });
      expect(problems).toEqual([]);
    }, PAGE_TIMEOUT);

    it('renders Swagger UI under the same host name', async () => {
      const docs = await context.newPage();
      const docsProblems = watch(docs);
      await docs.goto(`${base}/docs`);
      await docs.locator('.swagger-ui .information-container .title').waitFor();
      expect(await docs.locator('.swagger-ui .information-container .title').textContent()).toContain('Temporary-protection dossiers');
      await docs.locator('.swagger-ui .opblock').first().waitFor();
      expect(await docs.locator('.swagger-ui .opblock').count()).toBeGreaterThan(30);
      await docs.screenshot({ path: join(ARTIFACTS, 'swagger-ui.png') });
      await docs.close();
      expect(docsProblems).toEqual([]);
    }, PAGE_TIMEOUT);

    it('says so when the token was made for another DATA_DIR, or its role may not read statistics; keeps tokens for the tab only', async () => {
      const otherDataDir = loadConfig({ DATA_DIR: newDataDir() });
      let before = await loads();
      await page.fill('#token', await signDevToken(otherDataDir, { subject: 'elsewhere', roles: ['analyst'] }));
      await page.click('#token-form button[type=submit]');
      expect(await settled(before)).toBe('error');
      expect(await status()).toContain('andere DATA_DIR');
      expect((await chartState())['breakdown-chart'].datasets).toEqual([]);
      await page.click('button[data-lang="en"]');
      expect(await status()).toContain('made for another DATA_DIR');
      await page.click('button[data-lang="nl"]');

      before = await loads();
      await page.fill('#token', await testApp.token('auditor'));
      await page.click('#token-form button[type=submit]');
      expect(await settled(before)).toBe('error');
      expect(await status()).toContain('mag geen statistieken lezen');

      before = await loads();
      await page.click('#forget-token');
      expect(await settled(before)).toBe('no-token');
      expect(await page.evaluate(`sessionStorage.getItem('dashboard.token')`)).toBeNull();
      // The browser reported the refusals (401, 403) as failed loads; nothing else went wrong.
      expect(problems.filter((problem) => !/status of 40[13]/.test(problem))).toEqual([]);
    }, PAGE_TIMEOUT);
  });

  describe('dashboard in headless Chromium, signing in with an OIDC provider', () => {
    let provider: TestOidcProvider;
    let testApp: TestApp;
    let browser: Browser;
    let page: Page;
    let problems: string[];
    let base: string;

    beforeAll(async () => {
      provider = await startOidcProvider({
        clientId: 'dossiers-dashboard',
        audience: 'ukraine-tp-dossiers',
        users: [
          { id: 'ana', name: 'Ana Analist', roles: ['analyst'] },
          { id: 'otto', name: 'Otto Auditor', roles: ['auditor'] },
        ],
      });
      testApp = await startTestApp({
        AUTH_JWKS_URL: provider.jwksUrl,
        AUTH_ISSUER: provider.issuer,
        AUTH_AUDIENCE: 'ukraine-tp-dossiers',
        AUTH_OIDC_ISSUER: provider.issuer,
        AUTH_OIDC_CLIENT_ID: provider.clientId,
      });
      // 127.0.0.1 is a secure context, as the provider's PKCE needs (WebCrypto); elsewhere the dashboard needs HTTPS.
      base = `http://127.0.0.1:${new URL(await testApp.app.getUrl()).port}`;
      browser = await launch();
      page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
      problems = watch(page);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await testApp?.close();
      await provider?.close();
    });

    it('lets the provider in through connect-src, and nothing else of it', async () => {
      const csp = (await testApp.http().get('/dashboard')).headers['content-security-policy'] as string;
      expect(csp).toContain(`connect-src 'self' ${provider.issuer}`);
      const settings = await testApp.http().get('/dashboard/assets/settings.json');
      expect(settings.body).toEqual({ signIn: 'oidc', oidc: { issuer: provider.issuer, clientId: 'dossiers-dashboard', scope: 'openid' } });
    });

    it('signs in with the authorization code flow and PKCE, back to the same view, and loads with the provider’s token', async () => {
      await page.goto(`${base}/dashboard?interval=quarter&lang=en`);
      await page.locator('body[data-state="no-token"]').waitFor({ state: 'attached' });
      expect(await page.locator('#token-form').isVisible()).toBe(false);
      expect(await page.locator('#status').textContent()).toBe('Sign in to load the statistics.');
      await page.click('#sign-in');
      await page.waitForURL((url) => url.origin === provider.issuer && url.pathname === '/authorize');
      const asked = provider.authorizations.at(-1)!;
      expect({
        client: asked.get('client_id'),
        type: asked.get('response_type'),
        method: asked.get('code_challenge_method'),
        redirect: asked.get('redirect_uri'),
        challenge: /^[A-Za-z0-9_-]{43}$/.test(asked.get('code_challenge') ?? ''),
      }).toEqual({ client: 'dossiers-dashboard', type: 'code', method: 'S256', redirect: `${base}/dashboard`, challenge: true });

      await page.click('button[value="ana"]');
      await page.waitForURL((url) => url.origin === base && url.pathname === '/dashboard');
      await page.locator('body[data-state="ready"]').waitFor({ state: 'attached' });
      expect(provider.tokenRequests.map((request) => request.pkceMatched)).toEqual([true]);
      // Back to the view it left, the code gone from the address.
      expect(Object.fromEntries(new URL(page.url()).searchParams)).toMatchObject({ interval: 'quarter', lang: 'en' });
      expect(new URL(page.url()).searchParams.has('code')).toBe(false);
      expect(await page.locator('#signed-in-as').textContent()).toBe('Signed in as Ana Analist.');
      expect(await page.locator('#sign-out').isVisible()).toBe(true);
      // The token the statistics were asked with is the provider's, verified by the service through AUTH_JWKS_URL.
      const token = (await page.evaluate(`sessionStorage.getItem('dashboard.token')`)) as string;
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
      expect(claims).toMatchObject({ iss: provider.issuer, sub: 'ana', aud: 'ukraine-tp-dossiers' });
      expectStatus(await testApp.http().get('/statistics/stock').set('Authorization', `Bearer ${token}`), 200);
      const charts = await chartStateOf(page);
      expect(charts['flows-chart'].datasets.length).toBeGreaterThan(0);
      expect(await page.locator('#status').textContent()).toMatch(/^Loaded at/);
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-oidc.png'), fullPage: true });
      expect(problems).toEqual([]);
    }, PAGE_TIMEOUT);

    it('says that signing in needs HTTPS where the browser gives the page no WebCrypto (plain HTTP, not localhost)', async () => {
      const plain = await page.context().newPage();
      await plain.goto(`http://${HOST}:${new URL(base).port}/dashboard`);
      await plain.locator('body[data-state="error"]').waitFor({ state: 'attached' });
      expect(await plain.locator('#status').textContent()).toContain('HTTPS');
      expect(await plain.locator('#sign-in').isDisabled()).toBe(true);
      await plain.close();
    }, PAGE_TIMEOUT);

    it('refuses tokens the provider did not sign, and signs out', async () => {
      // A locally signed token (HS256) is not even tried against the provider's keys.
      const local = await testApp.http().get('/statistics/stock').set('Authorization', `Bearer ${await testApp.token('analyst')}`);
      expect({ status: local.status, type: local.body.type }).toEqual({ status: 401, type: '/problems/invalid-token' });
      // A token of another provider: same claims, a key the JWKS does not hold.
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT({ roles: ['analyst'] })
        .setProtectedHeader({ alg: 'RS256', kid: 'elsewhere' })
        .setIssuer(provider.issuer)
        .setAudience('ukraine-tp-dossiers')
        .setSubject('mallory')
        .setExpirationTime('5m')
        .sign(privateKey);
      const refused = await testApp.http().get('/statistics/stock').set('Authorization', `Bearer ${forged}`);
      expect({ status: refused.status, reason: refused.body.reason }).toEqual({ status: 401, reason: 'signature' });
      expect(refused.body.detail).toContain('AUTH_JWKS_URL');

      await page.click('#sign-out');
      await page.locator('body[data-state="no-token"]').waitFor({ state: 'attached' });
      expect(await page.evaluate(`sessionStorage.getItem('dashboard.token')`)).toBeNull();
      expect(await page.locator('#sign-in').isVisible()).toBe(true);
      expect(await page.locator('#status').textContent()).toBe('Sign in to load the statistics.');
      expect(problems).toEqual([]);
    }, PAGE_TIMEOUT);
  });
}
