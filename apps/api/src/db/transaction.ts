import type { Transaction } from 'kysely';
import type { Database, Db } from './database.ts';
import { isRetryableConflict } from './errors.ts';

const MAX_ATTEMPTS = 3;

/**
 * Runs `work` in one transaction. Under contention InnoDB may pick a transaction as a deadlock
 * victim (e.g. parallel binds of one uid after a rollback); that attempt changed nothing, so it
 * is run again, a bounded number of times.
 */
export async function inTransaction<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetryableConflict(error)) throw error;
    }
  }
}
