/**
 * The databases every integration suite runs on: SQLite always, MySQL where it answers
 * (MYSQL_URL, default the local MariaDB). With REQUIRE_MYSQL=1 a missing MySQL is a failure.
 * Each suite gets a database of its own, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import type { DatabaseConfig } from '../../src/config.ts';

export const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const shownUrl = MYSQL_URL.replace(/\/\/[^@]*@/, '//');

async function mysqlAnswers(): Promise<boolean> {
  try {
    const connection = await createConnection({ uri: MYSQL_URL, connectTimeout: 2000 });
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

const mysqlUp = await mysqlAnswers();
if (!mysqlUp) {
  if (process.env.REQUIRE_MYSQL === '1') throw new Error(`REQUIRE_MYSQL=1 but no MySQL answers at ${shownUrl}`);
  console.warn(`MySQL suites skipped: no MySQL answers at ${shownUrl} (set MYSQL_URL, or REQUIRE_MYSQL=1 to fail instead)`);
}

export interface TestDatabase {
  config: DatabaseConfig;
  drop(): Promise<void>;
}

export type DialectName = 'sqlite' | 'mysql';
export const DIALECTS: DialectName[] = mysqlUp ? ['sqlite', 'mysql'] : ['sqlite'];

export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  if (dialect === 'sqlite') return { config: { kind: 'sqlite', file: ':memory:' }, drop: async () => {} };
  const name = `wl_test_${randomBytes(6).toString('hex')}`;
  const admin = await createConnection({ uri: MYSQL_URL });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  return {
    config: { kind: 'mysql', url: url.toString() },
    async drop() {
      const connection = await createConnection({ uri: MYSQL_URL });
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    },
  };
}
