import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { rowsRead } from '@app/platform';
import { READ_MODEL_SCHEMA } from '@app/projection-engine';
import { STAGES, type HousingType, type ResidenceStatus, type Stage } from '@app/domain';
import { readModelVersionSubquery } from '../read-model-version';
import { CrtDossier } from './crt-dossier.entity';
import { CRT_DOSSIERS_TABLE, CRT_REGISTRY, CRT_STAGE_COUNTS_TABLE } from './crt-registry.projection';

export const REGISTRY_SORTS = [
  'registeredOn',
  '-registeredOn',
  'familyName',
  '-familyName',
  'municipality',
  '-municipality',
  'lastRecordedAt',
  '-lastRecordedAt',
] as const;
export type RegistrySort = (typeof REGISTRY_SORTS)[number];

export const DOSSIER_STATUSES = ['active', 'left'] as const;

/** What GET /dossiers asks the registry for: filters, words to search, an order and a page. */
export interface RegistryListQuery {
  readonly status?: (typeof DOSSIER_STATUSES)[number];
  readonly municipality?: string;
  readonly province?: string;
  readonly housingType?: HousingType;
  readonly stage?: Stage;
  readonly residenceStatus?: ResidenceStatus;
  readonly registeredFrom?: string;
  readonly registeredTo?: string;
  readonly q?: string;
  readonly sort: RegistrySort;
  readonly page: number;
  readonly pageSize: number;
}

type SortKey = RegistrySort extends `-${infer Key}` ? Key : never;

const SORT_COLUMNS: Record<SortKey, string> = {
  registeredOn: 'registered_on',
  familyName: 'family_name',
  municipality: 'municipality_name',
  lastRecordedAt: 'last_recorded_at',
};

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/** The words `q` searches for: each must appear in a matching dossier. */
const searchWords = (query: RegistryListQuery): string[] => (query.q ?? '').split(/\s+/).filter((word) => word !== '');

/** A national register number as printed (85.07.30-033.28) is searched as its digits. */
const searchTerm = (word: string) => (/^\d[\d.-]*$/.test(word) ? word.replace(/\D/g, '') : word);

/**
 * The three-character pieces of a searched term that the trigram index can be asked for as they
 * stand: lower-case ASCII letters and digits only, which every case mapping PostgreSQL may apply
 * (libc, ICU, builtin; any locale) leaves as they are, and which no other character lowers into
 * but an upper-case one (A–Z, the Kelvin sign, a dotted I), which no lowered text holds. So a
 * row whose search text (already lowered: the generated `search_text`) holds the term in any case
 * (ILIKE) holds each of its pieces as they are (LIKE, which lowers nothing on the rows it checks).
 */
function indexPieces(term: string): string[] {
  const pieces = new Set<string>();
  for (let at = 0; at + 3 <= term.length; at++) {
    const piece = term.slice(at, at + 3);
    if (/^[a-z0-9]{3}$/.test(piece)) pieces.add(piece);
  }
  return [...pieces];
}

/**
 * A word's pieces the trigram index is asked for: those in at most this share of the registry's
 * rows (trigramShares), and at least its two rarest. A common piece costs the index the reading of
 * its many rows and narrows the matches little; a rare one costs little, and leaving it out would
 * hand over more rows to check (a register number's digits, each piece of them rare, are asked as
 * before).
 */
const RARE_PIECE_SHARE = 1 / 20;
const PIECES_ASKED_AT_LEAST = 2;

/** How long a sample of the registry's search text (trigramShares) serves before it is read again. */
const TRIGRAM_SAMPLE_SERVES_MS = 10 * 60_000;

/** Totals kept per filter; a filter is a few words, a total a number. */
const MAX_KEPT_TOTALS = 1_000;

/**
 * A list's `total` counts the matching dossiers up to this many. An exact count reads every match
 * (from the index, where the filter has one), so it grows with the registry: 3.4 ms for the 20,000
 * housed dossiers of Antwerpen in a registry of 1,000,000, against 0.4 ms at 100,000 (bench/README.md).
 * Counted up to here it costs at most what 10,000 cost, whatever the registry's size; a list that
 * long is narrowed, not paged to its end.
 */
export const TOTAL_COUNTED_UP_TO = 10_000;

/**
 * How a page is read, from the filter's count: by walking the sort's index and keeping the rows
 * the filter matches, or by gathering every match through the filter's own indexes and sorting
 * them. A walk reads some (offset + page size) × registry ÷ matches rows when the matches are
 * spread evenly along the order, and far more when they are not (a rare stage among the newest
 * registrations, a status and stage no dossier has); gathering reads about the matches. So a page
 * is gathered when its matches, squared, are at most the rows a walk would read times the matches:
 * at 1,000,000 dossiers a first page of up to 5,000 matches. None matching: nothing to read.
 */
export function pageRead(counted: number, registryRows: number, offset: number, pageSize: number): 'none' | 'walk' | 'gather' {
  if (counted === 0) return 'none';
  return counted <= TOTAL_COUNTED_UP_TO && counted * counted <= (offset + pageSize) * Math.max(registryRows, counted) ? 'gather' : 'walk';
}

/** pageRead as SQL on the columns `counted` and `registry_rows`, the offset and page size being parameters $offset and $pageSize (a spec holds the two equal). */
export const pageReadSql = (offset: string, pageSize: string): string =>
  `CASE WHEN counted = 0 THEN 'none'
        WHEN counted <= ${TOTAL_COUNTED_UP_TO} AND counted::float8 * counted <= (${offset}::float8 + ${pageSize}) * greatest(registry_rows, counted) THEN 'gather'
        ELSE 'walk' END`;

/**
 * A statement to run with a page's read, in the same statement and transaction (the access log's
 * record of the page: whoever writes one before the page leaves need not send a second). It reads
 * the page's rows from `page_shown` (`dossier_id` among them) and may write; its own parameters
 * are numbered by `at` (1 up), and `order` is the page's order as an ORDER BY list on those rows.
 */
export interface StatementWithPage {
  sql(at: (n: number) => string, order: string): string;
  readonly parameters: readonly unknown[];
}

/** A page of the registry and how many dossiers match its filter (RegistryListQuery). */
export interface RegistryPage {
  readonly dossiers: CrtDossier[];
  /** The matching dossiers, counted up to TOTAL_COUNTED_UP_TO; when more match, that number. */
  readonly total: number;
  /** False when more than TOTAL_COUNTED_UP_TO match: `total` is then a lower bound. */
  readonly totalExact: boolean;
}

/**
 * The list's WHERE clause on `d` and its parameters, $1 up; and, when the filter is only status,
 * municipality and stage, the same filter on the kept counts `c` (CRT_STAGE_COUNTS_TABLE), whose
 * sum is then the number of matches, read without counting them. A dossier is active when it is
 * at any stage but `left` (both generated from `left_on`; a spec holds the two counts equal), so a
 * status is asked of the stage on both: on the rows, an index holding the stage then serves it
 * (`left` since a date read from the index of those who left, CrtLeftRegistrationIndex1733529600230,
 * whose predicate `stage = 'left'` the statement's value proves, PostgreSQL planning these unnamed
 * statements with their values; before it, from (municipality, stage, registered_on, …) instead of
 * reading the table for the `active` column: 640 → 11 ms at 1,000,000 dossiers, bench/README.md).
 * `gatherWhere` is the same filter as the statement asks it of the filter's own indexes (a count
 * of its own, the matches gathered): a searched word with common pieces (indexPieces,
 * RARE_PIECE_SHARE) is asked of the trigram index by its rarest pieces (`shares`: trigramShares) with
 * LIKE, and the word itself checked on the rows those give (`texticlike`, the ILIKE operator's own
 * function, which no index serves): each row the index gives is checked against every condition
 * it was asked for, and ILIKE lowers the row's text on each ("shevchenko"'s 9,790 matches at
 * 115,917 dossiers gathered in 16 ms with the word asked of the index, 22 with its pieces asked
 * with ILIKE, 14 with LIKE). The trigram index reads every trigram it is asked for whole, and a name's
 * trigrams are most often shared by many names (the bench's "shevchenko": "enk" and "nko" in 71% of
 * its dossiers, "olena shevchenko"'s eleven trigrams 197 index pages at 115,917 dossiers, 1,202 at
 * 1,006,261, against 17 and 83 for two of them; bench/README.md, "The CRT list's names by their
 * rarest trigrams"). A walk reads the sort's index and checks each row, so it keeps `where`.
 */
function filterOf(
  query: RegistryListQuery,
  shares: ReadonlyMap<string, number>,
): { readonly where: string; readonly gatherWhere: string; readonly parameters: unknown[]; readonly keptWhere: string | undefined } {
  const conditions: string[] = [];
  const gathered: string[] = [];
  const kept: string[] = [];
  let keptAnswers = true;
  const parameters: unknown[] = [];
  /** `keptAs`: the same condition on the kept counts, where they have it. */
  const condition = (column: string, operator: string, value: unknown, keptAs?: string) => {
    parameters.push(value);
    conditions.push(`d.${column} ${operator} $${parameters.length}`);
    gathered.push(`d.${column} ${operator} $${parameters.length}`);
    if (keptAs === undefined) keptAnswers = false;
    else kept.push(`${keptAs} ${operator} $${parameters.length}`);
  };
  if (query.status) condition('stage', query.status === 'active' ? '<>' : '=', 'left', 'c.stage');
  if (query.municipality) condition('municipality', '=', query.municipality, 'c.municipality');
  if (query.province) condition('province_nis', '=', query.province);
  if (query.housingType) condition('housing_type', '=', query.housingType);
  if (query.stage) condition('stage', '=', query.stage, 'c.stage');
  if (query.residenceStatus) condition('residence_status', '=', query.residenceStatus);
  if (query.registeredFrom) condition('registered_on', '>=', query.registeredFrom);
  if (query.registeredTo) condition('registered_on', '<=', query.registeredTo);
  const rarest: string[] = [];
  for (const word of searchWords(query)) {
    const term = searchTerm(word);
    condition('search_text', 'ILIKE', `%${escapeLike(term)}%`);
    const share = (piece: string) => shares.get(piece) ?? 0;
    const pieces = indexPieces(term).sort((a, b) => share(a) - share(b));
    const asked = pieces.filter((piece, i) => i < PIECES_ASKED_AT_LEAST || share(piece) <= RARE_PIECE_SHARE);
    // With no sample (a registry never analysed), or every piece to be asked, the word is asked of the index itself.
    if (shares.size === 0 || asked.length === pieces.length) continue;
    gathered[gathered.length - 1] = `texticlike(d.search_text, $${parameters.length})`;
    rarest.push(...asked);
  }
  for (const piece of rarest) {
    parameters.push(`%${piece}%`);
    gathered.push(`d.search_text LIKE $${parameters.length}`);
  }
  const whereOf = (all: readonly string[]) => (all.length === 0 ? '' : `WHERE ${all.join(' AND ')}`);
  return { where: whereOf(conditions), gatherWhere: whereOf(gathered), parameters, keptWhere: keptAnswers ? whereOf(kept) : undefined };
}

/** A filter's count at a version of the registry, and the registry's rows then (unknown when read by a statement that did not need them). */
interface KeptTotal {
  readonly version: string;
  readonly counted: number;
  readonly registryRows: number | undefined;
}

/** Queries on the CRT registry read model (read_models.crt_dossiers). */
@Injectable()
export class CrtRegistryReader {
  /** The count per filter (up to TOTAL_COUNTED_UP_TO + 1), with the registry's version it was counted at. */
  private readonly totals = new Map<string, KeptTotal>();
  /** The entity's selectable columns, as the list reads them and TypeORM would hydrate them. */
  private readonly columns: readonly ColumnMetadata[];
  /** trigramShares as last read, and when (Date.now()). */
  private sample: { readonly shares: Promise<ReadonlyMap<string, number>>; readonly readAt: number } | undefined;

  constructor(private readonly dataSource: DataSource) {
    this.columns = dataSource.getMetadata(CrtDossier).columns.filter((column) => column.isSelect);
  }

  /**
   * One page and the total of the filter, in one statement (one snapshot, so they agree while
   * the projection writes): the page read the way its count says (pageRead: walking the sort's
   * index, or gathering the matches by the filter's own indexes and sorting them; a name searched
   * for in the family names' order always gathered), the registry's
   * version beside it, and the count only when this process has not counted this filter at that
   * version already (the next pages of a search cost no count while the registry stands still; a
   * batch applied or a rebuild switched counts again). A filter of status, municipality and stage
   * only (the staff's usual list) is not counted: its matches are summed from the kept counts per
   * municipality and stage, a few rows whatever the registry's size. Any other count stops one past
   * TOTAL_COUNTED_UP_TO, so that it costs no more at a million dossiers than at a hundred thousand.
   * Past the first page, the page's dossiers are found first, by id alone, and only their rows
   * read: the rows the offset skips are not read where the index holds the filter and the sort (a
   * municipality's list, of one stage or all, in registration order), so a page further on costs
   * about what the first does (Antwerpen's housed dossiers at 1,000,000, page 200: 5,053 pages
   * read before, 317 now). The first page skips nothing: read directly, it saves the look-up of
   * its rows by id (108 pages against 28).
   * Plain SQL: on a page of 25 rows, building it through TypeORM's query builder cost more than
   * running it. `alongside` runs in the same statement, on the page's rows (the access log's
   * record of the page: one round trip and one commit a page instead of two; bench/README.md).
   * Dates come as PostgreSQL's text, which is what the entity holds: parsed into a Date by pg and
   * printed back by TypeORM they cost the page 11 Dates a row for nothing.
   */
  async list(query: RegistryListQuery, alongside?: StatementWithPage): Promise<RegistryPage> {
    const searched = searchWords(query).length > 0;
    const { where, gatherWhere, parameters, keptWhere } = filterOf(query, searched ? await this.trigramShares() : new Map());
    const [key, direction] = sortOf(query.sort);
    const filterKey = JSON.stringify([
      query.status, query.municipality, query.province, query.housingType, query.stage, query.residenceStatus, query.registeredFrom, query.registeredTo, query.q,
    ]);
    const kept = this.totals.get(filterKey);
    const n = parameters.length;
    const table = `${READ_MODEL_SCHEMA}.${CRT_DOSSIERS_TABLE}`;
    const sortColumn = SORT_COLUMNS[key];
    const columns = this.columns.map((column) => `d.${column.databaseName}`).join(', ');
    // Ordered by the columns as stored (dates as dates), answered with dates as text.
    const answered = this.columns.map(({ databaseName: name, type }) => (type === 'date' ? `p.${name}::text AS ${name}` : `p.${name}`)).join(', ');
    // The tiebreak makes the order total, so consecutive pages neither repeat nor skip a row.
    const ordered = (on: string) => `ORDER BY ${on}.${sortColumn} ${direction}, ${on}.dossier_id ${direction} LIMIT $${n + 3} OFFSET $${n + 4}`;
    const walked = (selected: string) => `SELECT ${selected} FROM ${table} d ${where} ${ordered('d')}`;
    const byIds = (ids: string) => `SELECT ${columns} FROM (${ids}) page JOIN ${table} d USING (dossier_id)`;
    // A name searched for lies in one stretch of the family names' order, which a walk of that
    // order would read up to: its page is picked from all its matches, however many, and they are
    // counted as they are gathered.
    const gatherAll = searched && key === 'familyName';
    const offset = (query.page - 1) * query.pageSize;
    /** How the page was read at the version this filter was counted at, where the statement then said. */
    const readBefore = kept?.registryRows === undefined ? undefined : pageRead(kept.counted, kept.registryRows, offset, query.pageSize);
    // A filter an index holds ahead of the order (walkedExactly) is walked alone, and so is one
    // counted already (the next pages of a list) and walked by its count, without the other way
    // planned: a count from an older version still says how the filter's
    // matches lie, and a page read the other way would be the same page, only slower. Any other
    // has both ways in its statement, and its count at this version picks one (pageReadSql); the
    // matches gathered stop one past TOTAL_COUNTED_UP_TO, so only a count within it gathers.
    const walkKnown = !gatherAll && (walkedExactly(query, key) || readBefore === 'walk');
    // Where both ways are planned, the matches gathered (up to TOTAL_COUNTED_UP_TO + 1) are
    // themselves counted where the page will most likely be picked from them, or where a count of
    // its own would read as much: one scan then gives the count and the page, where a first page
    // gathered took two. A name's count reads the rows whatever its plan (the trigram index only
    // narrows them down), as its gathering does ("olena shevchenko"'s first page at 1,000,000
    // dossiers: 81–103 → 45 ms; a name matching more than 10,000 pays for materializing 10,001 on
    // its first count, then walks known); a filter gathered (or matching none) at the version
    // it was last counted at very likely is again. A filter counted the first time has a count of
    // its own, which an index often answers alone: materializing 10,001 matches of a common filter
    // cost more than counting them (bench/README.md).
    const countedFromMatches = !walkKnown && (searched || (readBefore !== undefined && readBefore !== 'walk'));
    const counting =
      keptWhere !== undefined
        ? `(SELECT least(coalesce(sum(c.dossiers), 0), $${n + 5})::int FROM ${READ_MODEL_SCHEMA}.${CRT_STAGE_COUNTS_TABLE} c ${keptWhere})`
        : countedFromMatches
          ? `(SELECT least(count(*), $${n + 5})::int FROM matches)`
          : `(SELECT count(*)::int FROM (SELECT 1 FROM ${table} d ${gatherWhere} LIMIT $${n + 5}) matching)`;
    const gathered = byIds(`SELECT m.dossier_id FROM matches m ${ordered('m')}`);
    const walk = query.page === 1 ? walked(columns) : byIds(walked('d.dossier_id'));
    const order = `${sortColumn} ${direction}, dossier_id ${direction}`;
    const k = n + 6;
    const total = `CASE WHEN $${n + 2}::text IS NOT NULL AND v.version = $${n + 2}::text THEN $${n + 6}::int ELSE ${counting} END`;
    const version = `(SELECT ${readModelVersionSubquery(n + 1)} AS version) v`;
    /** The statement: `ctes` those before the page's, `counted` the row of the version and count the page is joined to. */
    const statement = (page: string, ctes: string[], counted: string) => {
      if (alongside) ctes.push(`page_shown AS MATERIALIZED (${page})`, `written AS (${alongside.sql((j) => `$${k + j}`, order)})`);
      return `${ctes.length > 0 ? `WITH ${ctes.join(', ')}` : ''}
       SELECT c.version AS registry_version, c.counted, c.registry_rows, ${answered}
         FROM ${counted} c
         LEFT JOIN ${alongside ? 'page_shown p' : `LATERAL (${page}) p`} ON true
        ORDER BY p.${sortColumn} ${direction}, p.dossier_id ${direction}`;
    };
    let sql: string;
    if (walkKnown) {
      // Walked without the other way: the statement as it was before there were two.
      sql = statement(walk, [], `(SELECT v.version, ${total} AS counted, NULL::real AS registry_rows FROM ${version})`);
    } else {
      const matches = `matches AS MATERIALIZED (SELECT d.${sortColumn}, d.dossier_id FROM ${table} d ${gatherWhere} ${gatherAll ? '' : `LIMIT $${n + 5}`})`;
      const counted =
        `counted AS MATERIALIZED (
           SELECT version, counted, registry_rows, ${pageReadSql(`$${n + 4}`, `$${n + 3}`)} AS read
             FROM (SELECT v.version, ${total} AS counted FROM ${version} OFFSET 0) c,
                  -- The planner's estimate of the registry's rows: all a choice of reads needs.
                  (SELECT coalesce(max(t.reltuples), 0) AS registry_rows FROM pg_class t WHERE t.oid = to_regclass('${table}')) r)`;
      const page = gatherAll
        ? gathered
        : `SELECT * FROM (${walk}) walked WHERE (SELECT read = 'walk' FROM counted) ` +
          `UNION ALL SELECT * FROM (${gathered}) gathered WHERE (SELECT read = 'gather' FROM counted)`;
      sql = statement(page, [matches, counted], 'counted');
    }
    // pg's callback form (rowsRead): through its promise form every page outlived two scavenges.
    const rows = await rowsRead(this.dataSource, sql, [
      ...parameters, CRT_REGISTRY, kept?.version ?? null, query.pageSize, offset, TOTAL_COUNTED_UP_TO + 1, kept?.counted ?? null, ...(alongside?.parameters ?? []),
    ]);
    const readAt = rows[0].registry_version as string | null;
    const counted = Number(rows[0].counted);
    const registryRows = rows[0].registry_rows === null ? kept?.registryRows : Number(rows[0].registry_rows);
    if (readAt !== null && (readAt !== kept?.version || registryRows !== kept.registryRows)) this.keepTotal(filterKey, { version: readAt, counted, registryRows });
    return {
      dossiers: rows.filter((row) => row.dossier_id !== null).map((row) => this.hydrated(row)),
      total: Math.min(counted, TOTAL_COUNTED_UP_TO),
      totalExact: counted <= TOTAL_COUNTED_UP_TO,
    };
  }

  /**
   * How common each three-character piece of the registry's search text is, as a share of its rows,
   * from PostgreSQL's statistics of the column: the sample ANALYZE keeps (its most common values with
   * their shares, and the histogram's bounds sharing the rest), some 200 values whatever the
   * registry's size; the values are dropped once their pieces are counted. Empty for a registry not
   * analysed yet. Read again after TRIGRAM_SAMPLE_SERVES_MS: it only picks which pieces of a word the
   * trigram index is asked for (filterOf), every word being checked on the rows, and a registry's
   * names change little from one batch to the next.
   */
  private trigramShares(): Promise<ReadonlyMap<string, number>> {
    const now = Date.now();
    if (this.sample === undefined || now - this.sample.readAt > TRIGRAM_SAMPLE_SERVES_MS) {
      const shares = rowsRead<{ common: string[] | null; freqs: number[] | null; bounds: string[] | null }>(
        this.dataSource,
        `SELECT most_common_vals::text::text[] AS common, most_common_freqs::float8[] AS freqs, histogram_bounds::text::text[] AS bounds
           FROM pg_stats WHERE schemaname = $1 AND tablename = $2 AND attname = 'search_text'`,
        [READ_MODEL_SCHEMA, CRT_DOSSIERS_TABLE],
      ).then(([stats]) => {
        const shares = new Map<string, number>();
        const counted = (value: string, share: number) => {
          for (const piece of indexPieces(value)) shares.set(piece, (shares.get(piece) ?? 0) + share);
        };
        const common = stats?.common ?? [];
        const freqs = stats?.freqs ?? [];
        common.forEach((value, i) => counted(value, freqs[i]));
        const bounds = stats?.bounds ?? [];
        const rest = 1 - freqs.reduce((sum, freq) => sum + freq, 0);
        for (const value of bounds) counted(value, rest / bounds.length);
        return shares;
      });
      // Without it a word is asked of the index itself, as on a registry not analysed: the list answers
      // the same, and the sample is read again on the next search.
      const answered = shares.catch(() => {
        this.sample = undefined;
        return new Map<string, number>();
      });
      this.sample = { shares: answered, readAt: now };
    }
    return this.sample.shares;
  }

  private keepTotal(filterKey: string, total: KeptTotal): void {
    this.totals.delete(filterKey);
    this.totals.set(filterKey, total);
    while (this.totals.size > MAX_KEPT_TOTALS) this.totals.delete(this.totals.keys().next().value!);
  }

  /** A page row as TypeORM would have hydrated it (dates as text, timestamps as Date). */
  private hydrated(row: Record<string, unknown>): CrtDossier {
    const dossier: Record<string, unknown> = {};
    for (const column of this.columns) dossier[column.propertyName] = this.dataSource.driver.prepareHydratedValue(row[column.databaseName], column);
    return dossier as unknown as CrtDossier;
  }

  /** Dossiers registered in this municipality now, per current stage: the kept counts (CRT_STAGE_COUNTS_TABLE), a row per stage. */
  async stageCounts(municipality: string): Promise<Record<Stage, number>> {
    const rows = await rowsRead<{ stage: Stage; count: number }>(
      this.dataSource,
      `SELECT stage, dossiers AS count FROM ${READ_MODEL_SCHEMA}.${CRT_STAGE_COUNTS_TABLE} WHERE municipality = $1`,
      [municipality],
    );
    return Object.fromEntries(
      STAGES.map((stage) => [stage, rows.find((row) => row.stage === stage)?.count ?? 0]),
    ) as Record<Stage, number>;
  }
}

/**
 * Whether an index holds the whole filter ahead of the order (CrtListIndexes1733443201400,
 * CrtMunicipalitySortIndexes1733529600150): a municipality in any order; a municipality and a stage,
 * or a range of registration dates, in registration order. Its walk reads the page's rows and no
 * other, however few match, so nothing is gained by gathering them.
 */
function walkedExactly(query: RegistryListQuery, key: SortKey): boolean {
  const others = { status: query.status, province: query.province, housingType: query.housingType, residenceStatus: query.residenceStatus };
  if (Object.values(others).some((value) => value !== undefined) || searchWords(query).length > 0) return false;
  if (key === 'registeredOn') return query.stage === undefined || query.municipality !== undefined;
  return query.stage === undefined && query.registeredFrom === undefined && query.registeredTo === undefined;
}

function sortOf(sort: RegistrySort): [key: SortKey, direction: 'ASC' | 'DESC'] {
  return sort.startsWith('-') ? [sort.slice(1) as SortKey, 'DESC'] : [sort as SortKey, 'ASC'];
}
