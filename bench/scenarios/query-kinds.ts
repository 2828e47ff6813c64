import { addDays, addMonths, type IsoDate } from '@app/domain';
import type { QueryKind } from './queries';

/** A realistic dossier in the store, and when its registration was recorded. */
export interface LoadedDossier {
  readonly id: string;
  readonly recordedAt: number;
}

/**
 * What the query kinds are built from: plain data, sent to the query client (query-client-process.ts),
 * which builds the kinds' paths itself.
 */
export interface QueryKindsInput {
  readonly today: IsoDate;
  readonly tokens: Record<'staff' | 'analyst', string>;
  /** The dossiers the single-dossier kinds ask for, the i-th request's at i (dossiersAsked). */
  readonly dossiers: readonly LoadedDossier[];
  /** Only the kinds whose names start with one of these; all when empty (BENCH_QUERY_KINDS). */
  readonly only: readonly string[];
}

/**
 * The dossiers the first `requests` requests of a single-dossier kind ask for, spread over the
 * loaded ones: what the query client needs of them (it holds these, not the million loaded).
 */
export function dossiersAsked(loaded: readonly LoadedDossier[], requests: number): LoadedDossier[] {
  return Array.from({ length: requests }, (_, i) => loaded[(i * 7919) % loaded.length]);
}

/** The query scenario's kinds, each request's parameters varying as a real workload's do (bench/README.md, "Queries"). */
export function queryKinds({ today, tokens, dossiers, only }: QueryKindsInput): QueryKind[] {
  const cities = ['11002', '44021', '24062', '31005', '71022', '12025', '21004'];
  const stages = ['housed', 'inburgering', 'vdab', 'employed', 'registered', 'left'];
  const rareFilters = [
    'stage=registered&residenceStatus=family-reunification',
    'status=left&stage=housed',
    'status=active&residenceStatus=student',
    'province=70000&stage=vdab&housingType=collective',
    'stage=employed&housingType=collective',
    'status=left&registeredFrom=2025-06-01',
    'q=olena%20shevchenko',
  ];
  const listSorts = ['-registeredOn', 'familyName', '-lastRecordedAt', 'municipality'];
  // Statistics answers are kept until the read model changes (statistics-cache.ts), so every
  // request asks a question of its own: the figures are the cost of computing an answer. One
  // kind asks the same question again, for what a kept answer costs.
  const cohort = (i: number) => addMonths('2022-03-01', i % 30).slice(0, 7);
  // A range's two ends, each a day in its own four weeks, so that the first 784 requests ask 784
  // different questions (a repeated one would be a kept answer, timing the cache, not the answer).
  const firstDay = (from: IsoDate, i: number) => addDays(from, i % 28);
  const lastDay = (to: IsoDate, i: number) => addDays(to, -(Math.floor(i / 28) % 28));
  const pick = (i: number) => dossiers[i % dossiers.length];
  const dossier = (i: number) => pick(i).id;
  // Two months after its registration was recorded: part of its history, not all of it.
  const asOf = (i: number) => new Date(Math.min(pick(i).recordedAt + 60 * 86_400_000, Date.now())).toISOString();
  const kinds: QueryKind[] = [
    {
      name: 'CRT list (filtered, paged)',
      class: 'list',
      token: tokens.staff,
      path: (i) => `/dossiers?municipality=${cities[i % cities.length]}&stage=${stages[i % stages.length]}&page=${1 + (i % 3)}&pageSize=25&sort=-registeredOn`,
    },
    {
      name: 'CRT list, rare filter combinations and a name',
      class: 'list',
      token: tokens.staff,
      // Filters that match few dossiers or none, and a name searched for, in several orders: pages
      // a walk of the sort's index would read far for (bench/README.md, "The CRT list's rare filter
      // combinations"). Seven filters and four orders: every pair in 28 requests.
      path: (i) => `/dossiers?${rareFilters[i % rareFilters.length]}&page=${1 + (Math.floor(i / 28) % 3)}&pageSize=25&sort=${listSorts[i % listSorts.length]}`,
    },
    { name: 'stock', class: 'statistics', token: tokens.analyst, path: (i) => `/statistics/stock?asOf=${addDays('2022-01-01', (i * 37) % 1461)}` },
    {
      name: 'flows, 4 years by month',
      class: 'statistics',
      token: tokens.analyst,
      // 48 months whatever the first day.
      path: (i) => `/statistics/flows?from=${firstDay('2022-01-01', i)}&to=${lastDay('2025-12-31', i)}&interval=month`,
    },
    {
      name: 'flows, 2 years by month, clipped mid-month at both ends',
      class: 'statistics',
      token: tokens.analyst,
      // The first and last months are parts of months in the thick of the data: they read their own days' rows.
      path: (i) => `/statistics/flows?from=${firstDay('2023-03-02', i)}&to=${lastDay('2025-03-01', i)}&interval=month`,
    },
    {
      name: 'flows, the same question again (kept answer)',
      class: 'statistics',
      token: tokens.analyst,
      path: () => '/statistics/flows?from=2022-01-01&to=2025-12-31&interval=month',
    },
    { name: 'funnel', class: 'statistics', token: tokens.analyst, path: (i) => `/statistics/funnel?cohort=${cohort(i)}&asOf=${addDays(today, -i)}` },
    {
      name: 'outlook',
      class: 'statistics',
      token: tokens.analyst,
      path: (i) => `/statistics/outlook?endDate=2026-03-04&endDate=${addDays('2027-03-04', i)}`,
    },
    {
      name: "VDAB's pair",
      class: 'statistics',
      token: tokens.analyst,
      path: (i) => `/statistics/vdab?on=${addDays('2022-01-01', (i * 37) % 1461)}&groupBy=province,cohort`,
    },
    {
      name: "VDAB's pair, 4 years by month",
      class: 'statistics',
      token: tokens.analyst,
      // The dashboard's question: the pair at every month's end, 48 points whatever the first day.
      path: (i) => `/statistics/vdab?from=${firstDay('2022-01-01', i)}&to=${lastDay('2025-12-31', i)}&interval=month&groupBy=province`,
    },
    { name: "one dossier's state", class: 'single-dossier', token: tokens.staff, path: (i) => `/dossiers/${dossier(i)}` },
    { name: "one dossier's history", class: 'single-dossier', token: tokens.staff, path: (i) => `/dossiers/${dossier(i)}/history` },
    {
      name: 'time travel (asOf)',
      class: 'single-dossier',
      token: tokens.staff,
      path: (i) => `/dossiers/${dossier(i)}?asOf=${asOf(i)}`,
    },
  ];
  return kinds.filter((kind) => only.length === 0 || only.some((prefix) => kind.name.startsWith(prefix)));
}
