/**
 * The operator's tool never migrates (CONTRACT §6: it may run against a live database, whose
 * schema is the API's business and `pnpm migrate`'s); it refuses to run on a schema older than
 * its code. The code's migrations are the files of db/migrations (the same modules db/migrate.ts
 * lists), compared by Kysely's Migrator with its own table: a read, no lock, no SQL of ours.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileMigrationProvider, Migrator } from 'kysely/migration';
import type { Db } from '../db/database.ts';

const MIGRATION_FOLDER = path.join(import.meta.dirname, '../db/migrations');

/** The code's migrations that this database has not run, oldest first. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const provider = new FileMigrationProvider({
    fs,
    path,
    migrationFolder: MIGRATION_FOLDER,
    import: (file) => import(pathToFileURL(file).href),
  });
  const migrations = await new Migrator({ db, provider }).getMigrations();
  return migrations.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
}
