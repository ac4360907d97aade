/**
 * prepareQuery (src/db/prepared.ts): a query built once per dialect answers every later call with
 * that call's values, on both databases at once and inside transactions, and a builder that
 * leaves one of its parameters out of the SQL is refused instead of silently reusing a value.
 * On SQLite a built query runs without Kysely's executor only when that cannot put it inside
 * another caller's transaction on the one connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseClient, openDatabase } from '../src/db/client.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { prepareQuery } from '../src/db/prepared.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.ts';

const insertAttempt = prepareQuery((db, accountKey: string, ip: string, at: number) =>
  db.insertInto('password_attempts').values({ account_key: accountKey, ip, at }),
);
const attemptsOf = prepareQuery((db, accountKey: string, since: number) =>
  db.selectFrom('password_attempts').select(['ip', 'at']).where('account_key', '=', accountKey).where('at', '>', since).orderBy('at'),
);

const opened: { client: DatabaseClient; scratch: TestDatabase }[] = [];
beforeAll(async () => {
  for (const dialect of DIALECTS) {
    const scratch = await createTestDatabase(dialect);
    const client = openDatabase(scratch.config);
    await migrateToLatest(client.db);
    opened.push({ client, scratch });
  }
});
afterAll(async () => {
  for (const { client, scratch } of opened) {
    await client.close();
    await scratch.drop();
  }
});

describe('prepareQuery', () => {
  it('fills in each call’s values, alternating between the databases (each has its own SQL)', async () => {
    for (let round = 1; round <= 3; round++) {
      for (const { client } of opened) {
        await insertAttempt(client.db, `key-${client.dialect}`, `10.0.0.${round}`, round * 100);
      }
    }
    for (const { client } of opened) {
      const { rows } = await attemptsOf(client.db, `key-${client.dialect}`, 150);
      expect(rows.map((row) => [row.ip, Number(row.at)])).toEqual([
        ['10.0.0.2', 200],
        ['10.0.0.3', 300],
      ]);
      expect((await attemptsOf(client.db, 'nobody', 0)).rows).toEqual([]);
    }
  });

  it('runs inside a transaction, which sees its own write and loses it on rollback', async () => {
    for (const { client } of opened) {
      const failed = client.db.transaction().execute(async (trx) => {
        await insertAttempt(trx, 'in-trx', '10.9.9.9', 1);
        expect((await attemptsOf(trx, 'in-trx', 0)).rows).toHaveLength(1);
        throw new Error('roll back');
      });
      await expect(failed).rejects.toThrow('roll back');
      expect((await attemptsOf(client.db, 'in-trx', 0)).rows).toEqual([]);
    }
  });

  it('answers a write with the rows it changed and the id it made, as Kysely does', async () => {
    for (const { client } of opened) {
      const result = await insertAttempt(client.db, 'counted', '10.3.3.3', 1);
      expect(result.numAffectedRows).toBe(1n);
      expect(typeof result.insertId).toBe('bigint');
    }
  });

  it('from the pool, waits for a transaction open on the connection rather than joining it', async () => {
    for (const { client } of opened) {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let written!: () => void;
      const wroteInside = new Promise<void>((resolve) => (written = resolve));
      const rolledBack = client.db.transaction().execute(async (trx) => {
        await insertAttempt(trx, 'held', '10.1.1.1', 1);
        written();
        await held;
        throw new Error('roll back');
      });
      await wroteInside;
      // Asked while the transaction is open: on SQLite's one connection, running these at once
      // would read its uncommitted row and put this insert inside it, to be rolled back with it.
      const outsideWrite = insertAttempt(client.db, 'outside', '10.2.2.2', 2);
      const outsideRead = attemptsOf(client.db, 'held', 0);
      release();
      await expect(rolledBack).rejects.toThrow('roll back');
      await outsideWrite;
      expect((await outsideRead).rows).toEqual([]);
      expect((await attemptsOf(client.db, 'outside', 0)).rows).toHaveLength(1);
    }
  });

  it('refuses, at its first call, a builder that leaves a parameter out of the SQL', () => {
    const forgetful = prepareQuery((db, accountKey: string, _ip: string) =>
      db.selectFrom('password_attempts').selectAll().where('account_key', '=', accountKey),
    );
    expect(() => forgetful(opened[0]!.client.db, 'a', 'b')).toThrow('uses 1 of its 2 parameters');
  });
});
