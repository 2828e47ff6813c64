import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The trigger function keeping crt_stage_counts, as this migration creates it (`CREATE`, no
 * order); CrtStageCountsInKeyOrder1733529600170 replaces it with its counts upserted in key order,
 * and goes back to this one.
 */
export const keepStageCountsFunction = (create: 'CREATE' | 'CREATE OR REPLACE', order = '') => `
      ${create} FUNCTION read_models.crt_keep_stage_counts() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          EXECUTE format('DELETE FROM %I.crt_stage_counts', TG_TABLE_SCHEMA);
          RETURN NULL;
        END IF;
        EXECUTE format(
          'INSERT INTO %I.crt_stage_counts AS kept (municipality, stage, dossiers)
           SELECT municipality, stage, sum(n) FROM (%s) changes GROUP BY municipality, stage HAVING sum(n) <> 0${order}
           ON CONFLICT (municipality, stage) DO UPDATE SET dossiers = kept.dossiers + EXCLUDED.dossiers',
          TG_TABLE_SCHEMA,
          CASE TG_OP
            WHEN 'INSERT' THEN 'SELECT municipality, stage, 1 AS n FROM new_rows'
            WHEN 'DELETE' THEN 'SELECT municipality, stage, -1 AS n FROM old_rows'
            ELSE 'SELECT municipality, stage, 1 AS n FROM new_rows UNION ALL SELECT municipality, stage, -1 FROM old_rows'
          END);
        EXECUTE format('DELETE FROM %I.crt_stage_counts WHERE dossiers = 0', TG_TABLE_SCHEMA);
        RETURN NULL;
      END $$`;

/**
 * The registry's dossiers counted per municipality and current stage, kept by PostgreSQL itself
 * as the rows change: a municipality's summary and the total of a list filtered by status,
 * municipality and stage read a few of these rows instead of counting every matching dossier
 * (Antwerpen's summary read 122,840 index entries at 1,000,000 dossiers, 60 to 100 ms from a cold
 * cache; bench/README.md, "The CRT list at a million dossiers").
 *
 * Statement triggers with transition tables keep them, so every way the rows change (the live
 * path's upserts, a one-pass fold's COPY, a row deleted by hand) changes the counts in the same
 * statement and transaction, and no writer can leave them behind. The function writes the counts
 * of the table's own schema, so a rebuild's copy (whose triggers the rebuild copies with the
 * table) keeps its own, and the switch moves both. A group whose count falls to 0 is removed,
 * so the counts are those a GROUP BY of the rows gives.
 */
export class CrtStageCounts1733529600160 implements MigrationInterface {
  name = 'CrtStageCounts1733529600160';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE read_models.crt_stage_counts (
        municipality text    NOT NULL,
        stage        text    NOT NULL,
        dossiers     integer NOT NULL,
        CONSTRAINT crt_stage_counts_pkey PRIMARY KEY (municipality, stage)
      )`);
    await runner.query(keepStageCountsFunction('CREATE'));
    // Created before the counts are filled: the triggers' lock holds off the projection's writes until this commits.
    const table = 'read_models.crt_dossiers';
    const keep = 'FOR EACH STATEMENT EXECUTE FUNCTION read_models.crt_keep_stage_counts()';
    await runner.query(`CREATE TRIGGER crt_stage_counts_inserted AFTER INSERT ON ${table} REFERENCING NEW TABLE AS new_rows ${keep}`);
    await runner.query(`CREATE TRIGGER crt_stage_counts_updated AFTER UPDATE ON ${table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows ${keep}`);
    await runner.query(`CREATE TRIGGER crt_stage_counts_deleted AFTER DELETE ON ${table} REFERENCING OLD TABLE AS old_rows ${keep}`);
    await runner.query(`CREATE TRIGGER crt_stage_counts_truncated AFTER TRUNCATE ON ${table} ${keep}`);
    await runner.query(
      `INSERT INTO read_models.crt_stage_counts (municipality, stage, dossiers) SELECT municipality, stage, count(*) FROM ${table} GROUP BY municipality, stage`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const trigger of ['inserted', 'updated', 'deleted', 'truncated']) {
      await runner.query(`DROP TRIGGER crt_stage_counts_${trigger} ON read_models.crt_dossiers`);
    }
    await runner.query('DROP FUNCTION read_models.crt_keep_stage_counts()');
    await runner.query('DROP TABLE read_models.crt_stage_counts');
  }
}
