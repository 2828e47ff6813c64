/*
 * The analysts' dashboard. A plain browser script (no build step), loaded after Chart.js (the
 * global `Chart`). Every figure comes from GET /statistics/* called with the bearer token the user
 * pastes, kept in this tab's sessionStorage. A suppressed cell ({value: null, suppressed: true})
 * is never drawn as 0: charts leave it out and mark its point with ⊘ at the zero line, tables say
 * "suppressed".
 */
'use strict';

(() => {
  const TOKEN_KEY = 'dashboard.token';
  /** Temporary protection started in March 2022: the default start of the range and cohort. */
  const PROTECTION_START = '2022-03';
  /** More points than this on the stock chart: quarter ends instead of month ends, then year ends. */
  const MAX_STOCK_POINTS = 25;
  /** Stock requests under way at once. */
  const PARALLEL_REQUESTS = 4;

  const STAGES = [
    ['registered', 'Registered', '#9aa5b8'],
    ['housed', 'Housed', '#4e79a7'],
    ['inburgering', 'Inburgering', '#f28e2b'],
    ['vdab', 'VDAB', '#76b7b2'],
    ['employed', 'Employed', '#59a14f'],
  ];
  /** [key, label, the cell in a flows group, colour or null for the table only] */
  const FLOWS = [
    ['registrations', 'Registrations', (g) => g.registrations, '#4e79a7'],
    ['housings', 'First housings', (g) => g.housings, '#76b7b2'],
    ['rehousings', 'Rehousings', (g) => g.rehousings.total, '#b07aa1'],
    ['inburgering', 'Inburgering enrolments', (g) => g.inburgeringEnrolments.total, '#f28e2b'],
    ['vdab', 'VDAB registrations', (g) => g.vdabRegistrations, '#edc948'],
    ['employmentStarts', 'Employment starts', (g) => g.employmentStarts, '#59a14f'],
    ['employmentEnds', 'Employment ends', (g) => g.employmentEnds, null],
    ['departures', 'Departures', (g) => g.departures.total, '#e15759'],
    ['reopenings', 'Reopenings', (g) => g.reopenings, null],
    ['stockAtEnd', 'Active at the end', (g) => g.stockAtEnd, null],
  ];
  const ZERO = { value: 0, suppressed: false };

  const $ = (id) => document.getElementById(id);
  const pad = (n) => String(n).padStart(2, '0');
  const monthEnd = (month) => {
    const [year, m] = month.split('-').map(Number);
    return new Date(Date.UTC(year, m, 0)).toISOString().slice(0, 10);
  };
  const today = () => {
    const now = new Date();
    return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  };
  const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
  const DATE = /^\d{4}-\d{2}-\d{2}$/;

  // ---- cells --------------------------------------------------------------------------------

  const valueOf = (cell) => (cell && !cell.suppressed ? cell.value : null);
  const number = new Intl.NumberFormat('en');
  /** A cell as text: "suppressed", "–" for no value (a rate over zero), else the formatted value. */
  function cellText(cell, format = (v) => number.format(v)) {
    if (!cell) return '';
    if (cell.suppressed) return 'suppressed';
    return cell.value === null ? '–' : format(cell.value);
  }
  const percent = (v) => `${(v * 100).toFixed(1)} %`;
  const days = (v) => `${number.format(v)} d`;

  /** A dataset of cells: suppressed ones are null (a gap, never 0) and flagged for the ⊘ markers. */
  function dataset(label, cells, colour, extra = {}) {
    return {
      label,
      data: cells.map(valueOf),
      suppressed: cells.map((cell) => Boolean(cell && cell.suppressed)),
      backgroundColor: colour,
      borderColor: colour,
      ...extra,
    };
  }

  /** Series suppressed at point `index` (visible ones only). */
  const suppressedAt = (chart, index) =>
    chart.data.datasets.filter((set, d) => set.suppressed && set.suppressed[index] && chart.isDatasetVisible(d)).map((set) => set.label);

  /**
   * ⊘ at the zero line of every point (a bar, a month) where a series is suppressed; which ones,
   * the tooltip and the table say. One mark a point: a row per series would stand at heights
   * that read as values.
   */
  const suppressedMarkers = {
    id: 'suppressedMarkers',
    afterDatasetsDraw(chart) {
      const horizontal = chart.options.indexAxis === 'y';
      const indexScale = horizontal ? chart.scales.y : chart.scales.x;
      const valueScale = horizontal ? chart.scales.x : chart.scales.y;
      if (!indexScale || !valueScale) return;
      const { ctx } = chart;
      const base = valueScale.getPixelForValue(0);
      ctx.save();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = '#3d4555';
      ctx.fillStyle = '#ffffff';
      chart.data.labels.forEach((_, i) => {
        if (suppressedAt(chart, i).length === 0) return;
        const along = indexScale.getPixelForValue(i);
        const [x, y] = horizontal ? [base + 8, along] : [along, base - 8];
        ctx.beginPath();
        ctx.arc(x, y, 5, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
        ctx.beginPath();
        ctx.moveTo(x - 3.5, y + 3.5);
        ctx.lineTo(x + 3.5, y - 3.5);
        ctx.stroke();
      });
      ctx.restore();
    },
  };

  /** Tooltips name the series suppressed at the point. */
  function suppressedFooter(items) {
    if (items.length === 0) return '';
    const names = suppressedAt(items[0].chart, items[0].dataIndex);
    return names.length ? `Suppressed: ${names.join(', ')}` : '';
  }

  const charts = new Map();
  function draw(canvasId, config) {
    if (charts.has(canvasId)) charts.get(canvasId).destroy();
    config.options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'index', intersect: false },
      ...config.options,
      plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { footer: suppressedFooter } }, ...(config.options || {}).plugins },
    };
    charts.set(canvasId, new Chart($(canvasId), config));
  }

  /** A table of cells; every cell carries data-row and data-col, suppressed ones class "suppressed". */
  function table(tableId, columns, rows) {
    const element = $(tableId);
    element.replaceChildren();
    const head = element.createTHead().insertRow();
    for (const [, label] of [['', ''], ...columns]) head.appendChild(document.createElement('th')).textContent = label;
    const body = element.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      tr.appendChild(document.createElement('th')).textContent = row.label;
      for (const [key, , format] of columns) {
        const cell = row.cells[key];
        const td = tr.insertCell();
        td.dataset.row = row.key;
        td.dataset.col = key;
        td.textContent = cellText(cell, format);
        if (cell && cell.suppressed) {
          td.className = 'suppressed';
          td.title = 'Suppressed by the API: too few persons, or hidden so that it cannot be worked out from a total';
        }
      }
    }
  }

  // ---- the API ------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  async function api(path, params) {
    const url = new URL(path, window.location.origin);
    for (const [name, value] of params) url.searchParams.append(name, value);
    const response = await fetch(url, {
      headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}`, Accept: 'application/json' },
    });
    if (!response.ok) {
      const problem = await response.json().catch(() => null);
      throw new ApiError(response.status, (problem && (problem.detail || problem.title)) || response.statusText);
    }
    return response.json();
  }

  /** `work` over `items`, a few at a time, results in order. */
  async function inTurns(items, work) {
    const results = new Array(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_REQUESTS, items.length) }, worker));
    return results;
  }

  // ---- filters ------------------------------------------------------------------------------

  const FILTER_FIELDS = ['province', 'from', 'to', 'cohort', 'endDates'];
  const fieldOf = (name) => (name === 'endDates' ? $('end-dates') : $(name));

  function defaultFilters() {
    return { province: '', from: PROTECTION_START, to: today().slice(0, 7), cohort: PROTECTION_START, endDates: '' };
  }

  /** The filters in the address (?province=&from=&to=&cohort=&endDates=) over the defaults. */
  function filtersFromAddress() {
    const filters = defaultFilters();
    const query = new URLSearchParams(window.location.search);
    for (const name of FILTER_FIELDS) if (query.has(name)) filters[name] = query.get(name);
    return filters;
  }

  function showFilters(filters) {
    for (const name of FILTER_FIELDS) fieldOf(name).value = filters[name];
  }

  function readFilters() {
    const filters = Object.fromEntries(FILTER_FIELDS.map((name) => [name, fieldOf(name).value.trim()]));
    const query = new URLSearchParams(Object.entries(filters).filter(([, value]) => value !== ''));
    window.history.replaceState(null, '', `${window.location.pathname}?${query}`);
    return filters;
  }

  /** The business dates the filters stand for, or a message saying what is wrong. */
  function resolve(filters) {
    if (!MONTH.test(filters.from) || !MONTH.test(filters.to) || !MONTH.test(filters.cohort)) {
      return { error: 'From, To and Cohort are months (YYYY-MM).' };
    }
    const from = `${filters.from}-01`;
    const end = monthEnd(filters.to);
    const to = end < today() ? end : today();
    if (to < from) return { error: 'From must not be after To.' };
    const endDates = filters.endDates.split(/[\s,]+/).filter(Boolean);
    if (endDates.some((date) => !DATE.test(date))) return { error: 'Outlook end dates are dates (YYYY-MM-DD).' };
    const nis = filters.province === 'brussels' ? null : filters.province;
    return { province: filters.province, nis, from, to, cohort: filters.cohort, endDates };
  }

  const provinceName = () => $('province').selectedOptions[0].textContent;

  /** Month ends from `from` to `to` (and `to` itself), or quarter ends, or year ends: at most MAX_STOCK_POINTS. */
  function stockDates(from, to) {
    for (const step of [1, 3, 12]) {
      const dates = [];
      let [year, month] = from.slice(0, 7).split('-').map(Number);
      for (;;) {
        const end = monthEnd(`${year}-${pad(month)}`);
        if (end >= to) break;
        if (month % step === 0) dates.push(end);
        month += 1;
        if (month > 12) [year, month] = [year + 1, 1];
      }
      dates.push(to);
      if (dates.length <= MAX_STOCK_POINTS || step === 12) return dates;
    }
  }

  /** The group of the chosen province in a grouped answer (undefined: nothing there, so zeros), or the only group. */
  function groupOf(groups, range) {
    if (range.province === '') return groups[0];
    return groups.find((group) => group.group && group.group.nis === range.nis);
  }

  const scope = (sectionId, text) => {
    document.querySelector(`#${sectionId} .scope`).textContent = text;
  };

  // ---- the sections -------------------------------------------------------------------------
  // Each fetches its answers, then returns what to paint, so that a load overtaken by a newer one
  // paints nothing.

  const STOCK_COLUMNS = [
    ['active', 'active'],
    ...STAGES.map(([key, label]) => [key, label.toLowerCase()]),
    ['employedNow', 'employed now'],
    ['everEmployed', 'ever employed'],
  ];
  /** A stock group's cells by column; no group (nothing active there): zeros. */
  const stockCells = (group) =>
    group
      ? { active: group.active, ...group.byStage, employedNow: group.employedNow, everEmployed: group.everEmployed }
      : Object.fromEntries(STOCK_COLUMNS.map(([key]) => [key, ZERO]));

  async function funnel(range) {
    const answer = await api('/statistics/funnel', [['cohort', range.cohort], ['asOf', range.to]]);
    const labels = answer.steps.map((step) => STAGES.find(([key]) => key === step.step)[1]);
    return {
      suppressBelow: answer.suppressBelow,
      paint() {
        scope('funnel', `Dossiers registered in ${answer.cohort}, as of ${answer.asOf}; all of Flanders and Brussels (the API has no province breakdown of the funnel).`);
        draw('funnel-chart', {
          type: 'bar',
          data: {
            labels,
            datasets: [
              dataset('Reached this and every earlier step', answer.steps.map((s) => s.count), '#4e79a7'),
              dataset('Reached this step at all', answer.steps.map((s) => s.reachedAtAll), '#a0cbe8'),
            ],
          },
          options: { indexAxis: 'y', scales: { x: { beginAtZero: true } } },
        });
        table(
          'funnel-table',
          [
            ['count', 'count'],
            ['reachedAtAll', 'reached at all'],
            ['rateFromPrevious', 'from previous', percent],
            ['rateFromRegistered', 'from registered', percent],
            ['medianDaysFromPrevious', 'median wait', days],
          ],
          answer.steps.map((step, i) => ({ key: step.step, label: labels[i], cells: step })),
        );
      },
    };
  }

  async function stock(range) {
    const dates = stockDates(range.from, range.to);
    const groupBy = range.province === '' ? 'none' : 'province';
    const answers = await inTurns(dates, (asOf) => api('/statistics/stock', [['asOf', asOf], ['groupBy', groupBy]]));
    const groups = answers.map((answer) => groupOf(answer.groups, range));
    const at = (pick) => groups.map((group) => (group ? pick(group) : ZERO));
    return {
      suppressBelow: answers[0].suppressBelow,
      paint() {
        scope('stock', `Active dossiers on ${dates.length} dates from ${dates[0]} to ${range.to}; ${provinceName()}.`);
        draw('stock-chart', {
          type: 'bar',
          data: {
            labels: dates,
            datasets: [
              dataset('Active', at((g) => g.active), '#1d2433', { type: 'line', stack: 'active', pointRadius: 2, borderWidth: 1.5 }),
              ...STAGES.map(([key, label, colour]) => dataset(label, at((g) => g.byStage[key]), colour, { stack: 'stages' })),
            ],
          },
          options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
        });
        table('stock-table', STOCK_COLUMNS, dates.map((date, i) => ({ key: date, label: date, cells: stockCells(groups[i]) })));
      },
    };
  }

  async function flows(range) {
    const groupBy = range.province === '' ? 'none' : 'province';
    const answer = await api('/statistics/flows', [['from', range.from], ['to', range.to], ['interval', 'month'], ['groupBy', groupBy]]);
    const groups = answer.periods.map((period) => groupOf(period.groups, range));
    const at = (pick) => groups.map((group) => (group ? pick(group) : ZERO));
    return {
      suppressBelow: answer.suppressBelow,
      paint() {
        scope('flows', `Per calendar month from ${answer.from} to ${answer.to} (business dates); ${provinceName()}.`);
        draw('flows-chart', {
          type: 'line',
          data: {
            labels: answer.periods.map((period) => period.period),
            datasets: FLOWS.filter(([, , , colour]) => colour).map(([, label, pick, colour]) =>
              dataset(label, at(pick), colour, { pointRadius: 1.5, borderWidth: 1.5 }),
            ),
          },
          options: { scales: { y: { beginAtZero: true } } },
        });
        table(
          'flows-table',
          FLOWS.map(([key, label]) => [key, label.toLowerCase()]),
          answer.periods.map((period, i) => ({
            key: period.period,
            label: period.period,
            cells: Object.fromEntries(FLOWS.map(([key, , pick]) => [key, groups[i] ? pick(groups[i]) : ZERO])),
          })),
        );
      },
    };
  }

  async function outlook(range) {
    const answer = await api('/statistics/outlook', range.endDates.map((date) => ['endDate', date]));
    const labels = answer.scenarios.map((s) => `${s.endDate} (${s.kind})`);
    return {
      suppressBelow: answer.suppressBelow,
      paint() {
        scope('outlook', `Dossiers still active at each end date, by stage; all of Flanders and Brussels. Last recorded business date: ${answer.lastBusinessDate ?? 'none'}.`);
        draw('outlook-chart', {
          type: 'bar',
          data: {
            labels,
            datasets: STAGES.map(([key, label, colour]) => dataset(label, answer.scenarios.map((s) => s.byStage[key]), colour)),
          },
          options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
        });
        document.querySelector('#outlook .methods').replaceChildren(
          ...answer.scenarios
            .filter((s) => s.method)
            .map((s) => {
              const item = document.createElement('li');
              item.textContent = `${s.endDate} is a projection: ${s.method.description} Monthly outflow rate ${percent(s.method.monthlyOutflowRate)}.`;
              return item;
            }),
        );
        table(
          'outlook-table',
          STOCK_COLUMNS.slice(0, 1 + STAGES.length),
          answer.scenarios.map((s, i) => ({ key: s.endDate, label: labels[i], cells: { active: s.active, ...s.byStage } })),
        );
      },
    };
  }

  async function provinces(range) {
    const answer = await api('/statistics/stock', [['asOf', range.to], ['groupBy', 'province']]);
    const labels = answer.groups.map((g) => g.group.name);
    return {
      suppressBelow: answer.suppressBelow,
      paint() {
        scope('provinces', `Active dossiers on ${answer.asOf} by the province of their registration municipality, by stage; every province whatever the province filter.`);
        draw('provinces-chart', {
          type: 'bar',
          data: {
            labels,
            datasets: STAGES.map(([key, label, colour]) => dataset(label, answer.groups.map((g) => g.byStage[key]), colour)),
          },
          options: { indexAxis: 'y', scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } } },
        });
        table('provinces-table', STOCK_COLUMNS, answer.groups.map((g, i) => ({ key: g.group.nis ?? 'brussels', label: labels[i], cells: stockCells(g) })));
      },
    };
  }

  const SECTIONS = [
    ['funnel', funnel],
    ['stock', stock],
    ['flows', flows],
    ['outlook', outlook],
    ['provinces', provinces],
  ];

  /** A section whose answer did not come shows nothing rather than an older answer. */
  function clear(sectionId) {
    const chart = charts.get(`${sectionId}-chart`);
    if (chart) chart.destroy();
    charts.delete(`${sectionId}-chart`);
    $(`${sectionId}-table`).replaceChildren();
    scope(sectionId, '');
    const methods = document.querySelector(`#${sectionId} .methods`);
    if (methods) methods.replaceChildren();
  }

  // ---- loading ------------------------------------------------------------------------------

  let generation = 0;

  function status(text, isError = false) {
    $('status').textContent = text;
    $('status').classList.toggle('error', isError);
  }

  function explain(error) {
    if (error instanceof ApiError && error.status === 401) return 'The token was refused (expired, or not for this service): paste a new one.';
    if (error instanceof ApiError && error.status === 403) return "This token's role may not read statistics: use an analyst, staff or admin token.";
    if (error instanceof ApiError) return `The API answered ${error.status}: ${error.message}`;
    return `Could not load the statistics: ${error.message}`;
  }

  /** Loads every section for the current filters; a load overtaken by a newer one is dropped. */
  async function load() {
    const mine = ++generation;
    const finish = (state) => {
      document.body.dataset.state = state;
      document.body.dataset.loads = String(Number(document.body.dataset.loads) + 1);
    };
    const range = resolve(readFilters());
    if (!sessionStorage.getItem(TOKEN_KEY)) {
      SECTIONS.forEach(([id]) => clear(id));
      status('Paste a token to load the statistics.');
      return finish('no-token');
    }
    if (range.error) {
      status(range.error, true);
      return finish('error');
    }
    document.body.dataset.state = 'loading';
    status('Loading…');
    const results = await Promise.allSettled(SECTIONS.map(([, section]) => section(range)));
    if (mine !== generation) return;
    results.forEach((result, i) => (result.status === 'fulfilled' ? result.value.paint() : clear(SECTIONS[i][0])));
    const painted = results.filter((result) => result.status === 'fulfilled');
    if (painted.length > 0) {
      const note = $('suppression-note');
      note.hidden = false;
      const threshold = painted[0].value.suppressBelow;
      note.textContent =
        threshold > 1
          ? `Cells counting fewer than ${threshold} persons, and cells hidden so that they cannot be worked out from a total, ` +
            'are suppressed by the API: charts leave them out and mark the point ⊘ at the zero line (the tooltip names them), ' +
            'tables say "suppressed". A 0 is a real zero.'
          : `Suppression is off (threshold ${threshold}): every number is shown.`;
    }
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) status(explain(failed.reason), true);
    else status(`Loaded at ${new Date().toLocaleTimeString('en-GB')}.`);
    finish(failed ? 'error' : 'ready');
  }

  function start() {
    Chart.register(suppressedMarkers);
    showFilters(filtersFromAddress());
    $('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const token = $('token').value.trim();
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      $('token').value = '';
      void load();
    });
    $('forget-token').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      void load();
    });
    $('filters').addEventListener('change', () => void load());
    $('filters').addEventListener('submit', (event) => {
      event.preventDefault();
      void load();
    });
    void load();
  }

  start();
})();
