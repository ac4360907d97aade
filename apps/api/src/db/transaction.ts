import type { Transaction } from 'kysely';
import { retryingConflicts } from './conflicts.ts';
import type { Database, Db } from './database.ts';

/**
 * Runs `work` in one transaction. A transaction that loses a conflict (an InnoDB deadlock victim,
 * or a Galera certification failure at COMMIT) changed nothing, so it is run again from the start,
 * a bounded number of times (db/conflicts.ts). `work` must not act outside the database before it
 * returns: it may run more than once.
 */
export function inTransaction<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return retryingConflicts(() => db.transaction().execute(work));
}
