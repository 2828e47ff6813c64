import { DataSource } from 'typeorm';
import { createTestDatabase } from './test-database';

/**
 * A database of its own (createTestDatabase) with these TypeORM migrations applied, the
 * entities known, and a DataSource on it: a spec migrates the schema it needs, given by the libs
 * that own it. close() drops the database.
 */
export async function openMigratedDatabase(
  migrations: Function[],
  entities: Function[] = [],
): Promise<{ url: string; dataSource: DataSource; close: () => Promise<void> }> {
  const database = await createTestDatabase();
  const dataSource = new DataSource({ type: 'postgres', url: database.url, entities, migrations, migrationsTransactionMode: 'each', logging: false });
  await dataSource.initialize();
  await dataSource.runMigrations();
  return {
    url: database.url,
    dataSource,
    close: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
}
