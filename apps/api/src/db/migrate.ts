import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import type { Db } from './database.ts';
import * as initial from './migrations/0001_initial.ts';
import * as attemptOutcome from './migrations/0002_password_attempt_outcome.ts';
import * as boundedWork from './migrations/0003_bounded_work.ts';
import * as accountLife from './migrations/0004_account_life.ts';

/** Listed here rather than read from a folder, so the order is explicit and nothing depends on cwd. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_password_attempt_outcome': attemptOutcome,
  '0003_bounded_work': boundedWork,
  '0004_account_life': accountLife,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** Brings the schema up to date; concurrent starts are serialised by Kysely's migration lock. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
