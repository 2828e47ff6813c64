import { Injectable } from '@nestjs/common';
import { DataSource, type SelectQueryBuilder } from 'typeorm';
import { STAGES, type HousingType, type ResidenceStatus, type Stage } from '@app/domain';
import { readModelVersionSubquery } from '../read-model-version';
import { CrtDossier } from './crt-dossier.entity';
import { CRT_REGISTRY } from './crt-registry.projection';

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
  registeredOn: 'd.registeredOn',
  familyName: 'd.familyName',
  municipality: 'd.municipalityName',
  lastRecordedAt: 'd.lastRecordedAt',
};

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/** A national register number as printed (85.07.30-033.28) is searched as its digits. */
const searchTerm = (word: string) => (/^\d[\d.-]*$/.test(word) ? word.replace(/\D/g, '') : word);

/** Totals kept per filter; a filter is a few words, a total a number. */
const MAX_KEPT_TOTALS = 1_000;

const PAGE_ALIAS = 'd';

/** Queries on the CRT registry read model (read_models.crt_dossiers). */
@Injectable()
export class CrtRegistryReader {
  /** The exact total per filter, with the registry's version it was counted at. */
  private readonly totals = new Map<string, { readonly version: string; readonly total: number }>();

  constructor(private readonly dataSource: DataSource) {}

  /**
   * One page and the exact total of the filter, in one statement (one snapshot, so they agree
   * while the projection writes): the page ordered by an index where the sort has one, the
   * registry's version beside it, and the count only when this process has not counted this
   * filter at that version already (the next pages of a search cost no count while the
   * registry stands still; a batch applied or a rebuild switched counts again).
   */
  async list(query: RegistryListQuery): Promise<[CrtDossier[], number]> {
    const filtered = this.filtered(query);
    const [countSql, countParameters] = filtered.clone().select('count(*)::int', 'total').getQueryAndParameters();
    const [key, direction] = sortOf(query.sort);
    const [pageSql, parameters] = filtered
      .clone()
      .orderBy(SORT_COLUMNS[key], direction)
      // The tiebreak makes the order total, so consecutive pages neither repeat nor skip a row.
      .addOrderBy(`${PAGE_ALIAS}.dossierId`, direction)
      .offset((query.page - 1) * query.pageSize)
      .limit(query.pageSize)
      .getQueryAndParameters();
    if (JSON.stringify(countParameters) !== JSON.stringify(parameters)) throw new Error('The count and the page of a registry list must bind the same filter');
    const filterKey = JSON.stringify([
      query.status, query.municipality, query.province, query.housingType, query.stage, query.residenceStatus, query.registeredFrom, query.registeredTo, query.q,
    ]);
    const kept = this.totals.get(filterKey);
    const n = parameters.length;
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT v.version, CASE WHEN $${n + 2}::text IS NOT NULL AND v.version = $${n + 2}::text THEN NULL ELSE (${countSql}) END AS total, p.*
         FROM (SELECT ${readModelVersionSubquery(n + 1)} AS version) v
         LEFT JOIN LATERAL (${pageSql}) p ON true`,
      [...parameters, CRT_REGISTRY, kept?.version ?? null],
    );
    const version = rows[0].version as string | null;
    const total = rows[0].total === null ? kept!.total : Number(rows[0].total);
    if (version !== null && rows[0].total !== null) this.keepTotal(filterKey, version, total);
    return [rows.filter((row) => row[`${PAGE_ALIAS}_dossier_id`] !== null).map((row) => this.hydrated(row)), total];
  }

  private filtered(query: RegistryListQuery): SelectQueryBuilder<CrtDossier> {
    const select = this.dataSource.createQueryBuilder(CrtDossier, PAGE_ALIAS);
    if (query.status) select.andWhere('d.active = :active', { active: query.status === 'active' });
    if (query.municipality) select.andWhere('d.municipality = :municipality', { municipality: query.municipality });
    if (query.province) select.andWhere('d.provinceNis = :province', { province: query.province });
    if (query.housingType) select.andWhere('d.housingType = :housingType', { housingType: query.housingType });
    if (query.stage) select.andWhere('d.stage = :stage', { stage: query.stage });
    if (query.residenceStatus) select.andWhere('d.residenceStatus = :residenceStatus', { residenceStatus: query.residenceStatus });
    if (query.registeredFrom) select.andWhere('d.registeredOn >= :registeredFrom', { registeredFrom: query.registeredFrom });
    if (query.registeredTo) select.andWhere('d.registeredOn <= :registeredTo', { registeredTo: query.registeredTo });
    (query.q ?? '')
      .split(/\s+/)
      .filter((word) => word !== '')
      .forEach((word, index) => select.andWhere(`d.searchText ILIKE :q${index}`, { [`q${index}`]: `%${escapeLike(searchTerm(word))}%` }));
    return select;
  }

  private keepTotal(filterKey: string, version: string, total: number): void {
    this.totals.delete(filterKey);
    this.totals.set(filterKey, { version, total });
    while (this.totals.size > MAX_KEPT_TOTALS) this.totals.delete(this.totals.keys().next().value!);
  }

  /** A page row as TypeORM would have hydrated it (dates as text, timestamps as Date). */
  private hydrated(row: Record<string, unknown>): CrtDossier {
    const dossier = {} as Record<string, unknown>;
    for (const column of this.dataSource.getMetadata(CrtDossier).columns) {
      const alias = `${PAGE_ALIAS}_${column.databaseName}`;
      if (alias in row) dossier[column.propertyName] = this.dataSource.driver.prepareHydratedValue(row[alias], column);
    }
    return dossier as unknown as CrtDossier;
  }

  /** Dossiers registered in this municipality now, per current stage. */
  async stageCounts(municipality: string): Promise<Record<Stage, number>> {
    const rows: Array<{ stage: Stage; count: number }> = await this.dataSource
      .createQueryBuilder(CrtDossier, 'd')
      .select('d.stage', 'stage')
      .addSelect('count(*)::int', 'count')
      .where('d.municipality = :municipality', { municipality })
      .groupBy('d.stage')
      .getRawMany();
    return Object.fromEntries(
      STAGES.map((stage) => [stage, rows.find((row) => row.stage === stage)?.count ?? 0]),
    ) as Record<Stage, number>;
  }
}

function sortOf(sort: RegistrySort): [key: SortKey, direction: 'ASC' | 'DESC'] {
  return sort.startsWith('-') ? [sort.slice(1) as SortKey, 'DESC'] : [sort as SortKey, 'ASC'];
}
