/**
 * The bcrypt cost of the hashes stored now. A sign-in for an unknown account is compared against
 * a dummy hash of this cost, not of BCRYPT_COST: after BCRYPT_COST changes, most stored hashes
 * keep the old cost until their owners sign in again (they are rehashed then), and a dummy of
 * the new cost would take measurably longer than a real account's check.
 */
import { sql } from 'kysely';
import type { DbHandle } from '../../db/database.ts';

export interface StoredHashCost {
  /** The most common cost among stored hashes (the configured cost when there are none). */
  readonly current: number;
  /** Reads it again (at start, and with the periodic sweep). */
  refresh(db: DbHandle): Promise<void>;
}

export function createStoredHashCost(configuredCost: number): StoredHashCost {
  let current = configuredCost;
  return {
    get current() {
      return current;
    },
    async refresh(db) {
      // "$2b$10$…": the cost is characters 5–6 on both databases. One index-less scan of a
      // short column, every few minutes, off the request path.
      const row = await db
        .selectFrom('users')
        .select([sql<string>`substr(password_hash, 5, 2)`.as('cost'), (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('password_hash', 'like', '$2_$%')
        .groupBy(sql`substr(password_hash, 5, 2)`)
        .orderBy('n', 'desc')
        .limit(1)
        .executeTakeFirst();
      const cost = row ? Number(row.cost) : NaN;
      current = Number.isInteger(cost) && cost >= 4 && cost <= 31 ? cost : configuredCost;
    },
  };
}
