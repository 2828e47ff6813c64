import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { PERSONAL_DATA_KEYS_TABLE } from '@app/personal-data';
import { READ_MODEL_SCHEMA } from '@app/projection-engine';
import { ArchivedDossierRow } from './archived-dossier.entity';
import { DOSSIER_ARCHIVE_TABLE } from './dossier-archive.projection';

const TABLE = `${READ_MODEL_SCHEMA}.${DOSSIER_ARCHIVE_TABLE}`;

/** What GET /archive/dossiers asks the archive index for: filters and a page. */
export interface ArchiveIndexQuery {
  readonly municipality?: string;
  readonly province?: string;
  readonly archivedFrom?: string;
  readonly archivedTo?: string;
  readonly leftBefore?: string;
  readonly runId?: string;
  readonly retainUntilBefore?: string;
  readonly erased?: 'true' | 'false';
  readonly page: number;
  readonly pageSize: number;
}

/** Queries on the archive index (read_models.dossier_archive), which holds no personal data. */
@Injectable()
export class ArchiveReader {
  constructor(private readonly dataSource: DataSource) {}

  /** One page of archived dossiers and the total, in one snapshot; newest archive first. */
  list(query: ArchiveIndexQuery): Promise<[ArchivedDossierRow[], number]> {
    return this.dataSource.transaction('REPEATABLE READ', (manager) => this.page(manager, query));
  }

  private page(manager: EntityManager, query: ArchiveIndexQuery): Promise<[ArchivedDossierRow[], number]> {
    const select = manager.createQueryBuilder(ArchivedDossierRow, 'a').where('a.archivedOn IS NOT NULL');
    if (query.municipality) select.andWhere('a.municipality = :municipality', { municipality: query.municipality });
    if (query.province) select.andWhere('a.provinceNis = :province', { province: query.province });
    if (query.archivedFrom) select.andWhere('a.archivedOn >= :archivedFrom', { archivedFrom: query.archivedFrom });
    if (query.archivedTo) select.andWhere('a.archivedOn <= :archivedTo', { archivedTo: query.archivedTo });
    if (query.leftBefore) select.andWhere('a.leftOn < :leftBefore', { leftBefore: query.leftBefore });
    if (query.runId) select.andWhere('a.runId = :runId', { runId: query.runId.toLowerCase() });
    if (query.retainUntilBefore) select.andWhere('a.retainUntil < :retainUntilBefore', { retainUntilBefore: query.retainUntilBefore });
    if (query.erased) select.andWhere(`a.personalDataErasedOn IS ${query.erased === 'true' ? 'NOT ' : ''}NULL`);
    return select
      .orderBy('a.archivedOn', 'DESC')
      .addOrderBy('a.dossierId', 'DESC')
      .skip((query.page - 1) * query.pageSize)
      .take(query.pageSize)
      .getManyAndCount();
  }

  /** Every archived dossier's id, in id order: the order of the export. */
  async archivedIds(): Promise<string[]> {
    const rows: Array<{ dossier_id: string }> = await this.dataSource.query(
      `SELECT dossier_id::text FROM ${TABLE} WHERE archived_on IS NOT NULL ORDER BY dossier_id`,
    );
    return rows.map((row) => row.dossier_id);
  }

  /** The next dossiers an archive run may archive, after `after` in id order. */
  async runCandidates(closedBefore: string | null, after: string, limit: number): Promise<string[]> {
    const rows: Array<{ dossier_id: string }> = await this.dataSource.query(
      `SELECT dossier_id::text FROM ${TABLE}
        WHERE archived_on IS NULL AND ($1::date IS NULL OR left_on < $1::date) AND dossier_id > $2::uuid
        ORDER BY dossier_id LIMIT $3`,
      [closedBefore, after, limit],
    );
    return rows.map((row) => row.dossier_id);
  }

  /** What a run left alone, by the rule that kept each dossier out. */
  async leftAlone(closedBefore: string | null, runId: string): Promise<Record<string, number>> {
    const [row] = (await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE archived_on IS NOT NULL AND run_id IS DISTINCT FROM $2::uuid)::int AS already_archived,
              count(*) FILTER (WHERE $1::date IS NOT NULL AND archived_on IS NULL AND left_on IS NULL)::int AS not_left,
              count(*) FILTER (WHERE archived_on IS NULL AND left_on >= $1::date)::int AS left_after_cutoff
         FROM ${TABLE}`,
      [closedBefore, runId],
    )) as Array<{ already_archived: number; not_left: number; left_after_cutoff: number }>;
    return {
      'already-archived': row.already_archived,
      ...(closedBefore === null ? {} : { 'not-left': row.not_left, 'left-after-cutoff': row.left_after_cutoff }),
    };
  }

  /**
   * Erasures left half-done: dossiers the index shows erased whose key is not destroyed (a crash
   * after PersonalDataErased was recorded), and keys destroyed whose erasure the index does not
   * show (an earlier version destroyed the key first, and could die before the record).
   */
  async interruptedErasures(): Promise<{ unfinished: string[]; unrecorded: Array<{ dossierId: string; erasedAt: Date }> }> {
    const unfinished = (await this.dataSource.query(
      `SELECT a.dossier_id::text AS dossier_id FROM ${TABLE} a
         LEFT JOIN ${PERSONAL_DATA_KEYS_TABLE} k ON k.dossier_id = a.dossier_id
        WHERE a.personal_data_erased_on IS NOT NULL AND (k.dossier_id IS NULL OR k.erased_at IS NULL)`,
    )) as Array<{ dossier_id: string }>;
    const unrecorded = (await this.dataSource.query(
      `SELECT k.dossier_id::text AS dossier_id, k.erased_at FROM ${PERSONAL_DATA_KEYS_TABLE} k
         JOIN ${TABLE} a ON a.dossier_id = k.dossier_id
        WHERE k.erased_at IS NOT NULL AND a.personal_data_erased_on IS NULL`,
    )) as Array<{ dossier_id: string; erased_at: Date }>;
    return {
      unfinished: unfinished.map((row) => row.dossier_id),
      unrecorded: unrecorded.map((row) => ({ dossierId: row.dossier_id, erasedAt: row.erased_at })),
    };
  }

  /** Archived dossiers whose retention ended before `today` and whose personal data is still there. */
  async purgeCandidates(today: string, after: string, limit: number): Promise<Array<{ dossierId: string; retainUntil: string }>> {
    const rows: Array<{ dossier_id: string; retain_until: string }> = await this.dataSource.query(
      `SELECT dossier_id::text, retain_until::text FROM ${TABLE}
        WHERE personal_data_erased_on IS NULL AND retain_until < $1::date AND dossier_id > $2::uuid
        ORDER BY dossier_id LIMIT $3`,
      [today, after, limit],
    );
    return rows.map((row) => ({ dossierId: row.dossier_id, retainUntil: row.retain_until }));
  }
}
