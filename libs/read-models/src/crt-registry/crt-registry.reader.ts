import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { STAGES, type HousingType, type Stage } from '@app/domain';
import { CrtDossier } from './crt-dossier.entity';

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

/** Queries on the CRT registry read model (read_models.crt_dossiers). */
@Injectable()
export class CrtRegistryReader {
  constructor(private readonly dataSource: DataSource) {}

  /** One page and the total, read in one snapshot so they agree while the projection writes. */
  list(query: RegistryListQuery): Promise<[CrtDossier[], number]> {
    return this.dataSource.transaction('REPEATABLE READ', (manager) => this.page(manager, query));
  }

  private page(manager: EntityManager, query: RegistryListQuery): Promise<[CrtDossier[], number]> {
    const select = manager.createQueryBuilder(CrtDossier, 'd');
    if (query.status) select.andWhere('d.active = :active', { active: query.status === 'active' });
    if (query.municipality) select.andWhere('d.municipality = :municipality', { municipality: query.municipality });
    if (query.province) select.andWhere('d.provinceNis = :province', { province: query.province });
    if (query.housingType) select.andWhere('d.housingType = :housingType', { housingType: query.housingType });
    if (query.stage) select.andWhere('d.stage = :stage', { stage: query.stage });
    if (query.registeredFrom) select.andWhere('d.registeredOn >= :registeredFrom', { registeredFrom: query.registeredFrom });
    if (query.registeredTo) select.andWhere('d.registeredOn <= :registeredTo', { registeredTo: query.registeredTo });
    (query.q ?? '')
      .split(/\s+/)
      .filter((word) => word !== '')
      .forEach((word, index) => select.andWhere(`d.searchText ILIKE :q${index}`, { [`q${index}`]: `%${escapeLike(searchTerm(word))}%` }));
    const [key, direction] = sortOf(query.sort);
    return select
      .orderBy(SORT_COLUMNS[key], direction)
      // The tiebreak makes the order total, so consecutive pages neither repeat nor skip a row.
      .addOrderBy('d.dossierId', direction)
      .skip((query.page - 1) * query.pageSize)
      .take(query.pageSize)
      .getManyAndCount();
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
