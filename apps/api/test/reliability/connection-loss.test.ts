/**
 * A MySQL connection that dies inside a transaction (the server restarting, a proxy cutting it):
 * the failed statement and the rollback that follows on the dead connection are both recognised
 * as "database unavailable" (a 503), not a bug (a 500); the pool goes on with fresh connections.
 * The same under real outages is reliability/database-outage.stress.ts, which found it.
 */
import { sql } from 'kysely';
import { createConnection } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { isDatabaseUnavailable } from '../../src/db/errors.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { createTestDatabase, DIALECTS, MYSQL_URL } from '../support/databases.ts';

describe.skipIf(!DIALECTS.includes('mysql'))('a MySQL connection lost mid-transaction', () => {
  it('is SERVICE_UNAVAILABLE material, and the next transaction works', async () => {
    const testDb = await createTestDatabase('mysql');
    const database = openDatabase(testDb.config);
    const admin = await createConnection({ uri: MYSQL_URL });
    try {
      const failure = await inTransaction(database.db, async (trx) => {
        const { rows } = await sql<{ id: number }>`select connection_id() as id`.execute(trx);
        await admin.query(`KILL ${Number(rows[0]!.id)}`);
        await sql`select 1`.execute(trx);
        return null;
      }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(failure), String(failure)).toBe(true);
      const { rows } = await inTransaction(database.db, (trx) => sql<{ one: number }>`select 1 as one`.execute(trx));
      expect(rows[0]!.one).toBe(1);
    } finally {
      await admin.end();
      await database.close();
      await testDb.drop();
    }
  });
});
