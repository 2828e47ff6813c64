import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One personal-data key per dossier, wrapped under the master key (key-store.ts,
 * docs/erasure.md). Erasure overwrites wrapped_key with NULL and sets erased_at; a trigger keeps
 * an erased key erased and refuses deleting rows, since a missing row for encrypted data reads as
 * lost data rather than erased data.
 */
export class PersonalDataKeys1733097600000 implements MigrationInterface {
  name = 'PersonalDataKeys1733097600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE personal_data_keys (
        dossier_id  uuid        PRIMARY KEY,
        wrapped_key bytea,
        created_at  timestamptz NOT NULL DEFAULT now(),
        erased_at   timestamptz,
        CONSTRAINT personal_data_keys_present_or_erased CHECK ((wrapped_key IS NULL) = (erased_at IS NOT NULL))
      )`);
    await runner.query(`
      CREATE FUNCTION personal_data_keys_stay_erased() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          RAISE EXCEPTION 'personal_data_keys rows are never deleted: erase the key instead';
        END IF;
        IF OLD.erased_at IS NOT NULL AND (NEW.erased_at IS DISTINCT FROM OLD.erased_at OR NEW.wrapped_key IS NOT NULL) THEN
          RAISE EXCEPTION 'an erased personal-data key stays erased';
        END IF;
        RETURN NEW;
      END $$`);
    await runner.query(`
      CREATE TRIGGER personal_data_keys_stay_erased BEFORE UPDATE OR DELETE ON personal_data_keys
      FOR EACH ROW EXECUTE FUNCTION personal_data_keys_stay_erased()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE personal_data_keys');
    await runner.query('DROP FUNCTION personal_data_keys_stay_erased()');
  }
}
