import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every key erased is announced to every process of the installation: NOTIFY
 * personal_data_key_erased with the dossier id, sent when the erasing transaction commits,
 * whichever path erased it (an erasure, its completion, a repeated erasure after a restore).
 * Processes that keep unwrapped keys drop the key on hearing it (erased-key-listener.ts).
 */
export class PersonalDataKeyErasedNotice1733529600090 implements MigrationInterface {
  name = 'PersonalDataKeyErasedNotice1733529600090';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE FUNCTION personal_data_key_erased_notice() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('personal_data_key_erased', NEW.dossier_id::text);
        RETURN NULL;
      END $$`);
    await runner.query(`
      CREATE TRIGGER personal_data_key_erased_notice AFTER INSERT OR UPDATE OF erased_at ON personal_data_keys
      FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL) EXECUTE FUNCTION personal_data_key_erased_notice()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TRIGGER personal_data_key_erased_notice ON personal_data_keys');
    await runner.query('DROP FUNCTION personal_data_key_erased_notice()');
  }
}
