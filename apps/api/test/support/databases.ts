/**
 * The databases every integration suite runs on: SQLite always, MySQL where it answers
 * (MYSQL_URL, default the local MariaDB). With REQUIRE_MYSQL=1 a missing MySQL is a failure.
 * Each suite gets a database of its own, dropped afterwards.
 */
import { createScratchMysqlDatabase, mysqlAnswers } from '@weibo-login/test-support';
import type { DatabaseConfig } from '../../src/config.ts';

export const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const shownUrl = MYSQL_URL.replace(/\/\/[^@]*@/, '//');

const mysqlUp = await mysqlAnswers(MYSQL_URL);
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
  const scratch = await createScratchMysqlDatabase(MYSQL_URL, 'wl_test');
  return { config: { kind: 'mysql', url: scratch.url }, drop: scratch.drop };
}
