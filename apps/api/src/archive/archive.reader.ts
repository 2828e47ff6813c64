import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ArchivedDossierRow } from '@app/read-models/dossier-archive/archived-dossier.entity';
import type { ArchiveListQuery } from './archive.dto';

const TABLE = 'read_models.dossier_archive';

/** Queries on the archive index (read_models.dossier_archive), which holds no personal data. */
@Injectable()
export class ArchiveReader {
  constructor(private readonly dataSource: DataSource) {}

  /** One page of archived dossiers and the total, in one snapshot; newest archive first. */
  list(query: ArchiveListQuery): Promise<[ArchivedDossierRow[], number]> {
    return this.dataSource.transaction('REPEATABLE READ', (manager) => this.page(manager, query));
  }

  private page(manager: EntityManager, query: ArchiveListQuery): Promise<[ArchivedDossierRow[], number]> {
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
