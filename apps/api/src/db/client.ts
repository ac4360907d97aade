/** Opens the database DATABASE_URL names: MySQL through a mysql2 pool, or an embedded SQLite file. */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, MysqlDialect, SqliteDialect } from 'kysely';
import { createPool } from 'mysql2';
import type { DatabaseConfig } from '../config.ts';
import type { Database, Db } from './database.ts';

export type Dialect = 'mysql' | 'sqlite';

export interface DatabaseClient {
  db: Db;
  dialect: Dialect;
  close(): Promise<void>;
}

export function openDatabase(config: DatabaseConfig, options: { poolSize?: number } = {}): DatabaseClient {
  if (config.kind === 'mysql') {
    const pool = createPool({
      uri: config.url,
      connectionLimit: options.poolSize ?? 10,
      // Fail fast when the server is away rather than queueing requests behind a dead socket.
      connectTimeout: 3000,
      enableKeepAlive: true,
      charset: 'utf8mb4',
    });
    const db = new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
    return { db, dialect: 'mysql', close: () => db.destroy() };
  }
  if (config.file !== ':memory:') fs.mkdirSync(path.dirname(config.file), { recursive: true });
  const sqlite = new SQLite(config.file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}
