import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import type { Db } from './database.ts';
import { MIGRATION_LEASE_MS, MIGRATION_WAIT_MS } from '../limits/bounds.ts';
import { withClusterLock } from './cluster-lock.ts';
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

/** The database's schema is older than this code needs, and it was not to be migrated (MIGRATE_ON_START=false). */
export class SchemaOutOfDate extends Error {
  readonly pending: string[];
  constructor(pending: string[]) {
    super(
      `the database schema is older than this version needs (${pending.length} migration(s) to run: ${pending.join(', ')}): run pnpm migrate`,
    );
    this.pending = pending;
  }
}

/** The migrations this code knows that the database has not run (empty: the schema is current). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const migrations = await new Migrator({ db, provider }).getMigrations();
  return migrations.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
}

/**
 * Brings the schema up to date. Concurrent starts and `pnpm migrate` runs, on any instance and any
 * database node, are serialised by a lock row (db/cluster-lock.ts): the first migrates, the others
 * wait and then find nothing to do. (Kysely's own MySQL lock, GET_LOCK, holds only on one node.)
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  return withClusterLock(
    db,
    'migrations',
    async () => {
      const migrator = new Migrator({ db, provider });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error instanceof Error ? error : new Error(String(error));
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    },
    { leaseMs: MIGRATION_LEASE_MS, waitMs: MIGRATION_WAIT_MS },
  );
}
