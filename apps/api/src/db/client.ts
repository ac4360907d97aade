/** Opens the database DATABASE_URL names: MySQL through a mysql2 pool, or an embedded SQLite file. */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, MysqlDialect, type MysqlPool, type MysqlPoolConnection, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { Pool, PoolConnection, QueryValues } from 'mysql2';
import type { DatabaseConfig } from '../config.ts';
import type { Database, Db } from './database.ts';

export type Dialect = 'mysql' | 'sqlite';

export interface DatabaseClient {
  db: Db;
  dialect: Dialect;
  /** MySQL's pool: connections handed out and not yet released, and requests waiting for one
   * (the metrics' gauge); null on SQLite, which has one connection. */
  poolStats(): PoolStats | null;
  close(): Promise<void>;
}

export interface PoolStats {
  inUse: number;
  waiting: number;
}

/** mysql2 is loaded only when MySQL is used: it is a sixth of the API's start-up on SQLite. */
const requireDriver = createRequire(import.meta.url);

export function openDatabase(config: DatabaseConfig, options: { poolSize?: number } = {}): DatabaseClient {
  if (config.kind === 'mysql') {
    const { createPool } = requireDriver('mysql2') as typeof import('mysql2');
    const pool = createPool({
      uri: config.url,
      connectionLimit: options.poolSize ?? 10,
      // Fail fast when the server is away rather than queueing requests behind a dead socket.
      connectTimeout: 3000,
      enableKeepAlive: true,
      charset: 'utf8mb4',
    });
    const stats: PoolStats = { inUse: 0, waiting: 0 };
    const db = new Kysely<Database>({ dialect: new MysqlDialect({ pool: withQueryTimeout(pool, stats) }) });
    return { db, dialect: 'mysql', poolStats: () => ({ ...stats }), close: () => db.destroy() };
  }
  if (config.file !== ':memory:') fs.mkdirSync(path.dirname(config.file), { recursive: true });
  const sqlite = new SQLite(config.file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', poolStats: () => null, close: () => db.destroy() };
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew, and better-sqlite3's prepare costs more than running most of
 * our queries: keep the prepared statements (the app's SQL is a small fixed set; the bound only
 * matters for SQL that varies). Sharing a statement is safe because nothing streams rows.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => void sqlite.close(),
    prepare(sql) {
      let statement = statements.get(sql);
      if (!statement) {
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
        statement = sqlite.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

/**
 * mysql2 puts the failed statement on its errors as `sql`, with the values written into it:
 * session ids, tokens, password hashes. Any log line of such an error would carry them, so the
 * statement is taken off here, where every query passes; the code, errno and message stay.
 */
function withoutStatement(error: unknown): unknown {
  if (error && typeof error === 'object' && 'sql' in error) delete (error as { sql?: string }).sql;
  return error;
}

/** Our queries are single-row lookups and writes: far below this even on a loaded server. */
const QUERY_TIMEOUT_MS = 5000;

/**
 * Every MySQL query ends within QUERY_TIMEOUT_MS. A server that stops answering without closing
 * its sockets (frozen, partitioned) would otherwise hold each request forever: connectTimeout
 * covers only new connections. A connection whose query timed out is out of step with the server
 * and is dropped, so the transaction's rollback fails at once and the pool opens a fresh one.
 */
function withQueryTimeout(pool: Pool, stats: PoolStats): MysqlPool {
  const bounded = new WeakMap<PoolConnection, MysqlPoolConnection>();
  const wrap = (connection: PoolConnection): MysqlPoolConnection => {
    let wrapped = bounded.get(connection);
    if (!wrapped) {
      wrapped = {
        config: connection.config,
        get threadId() {
          return connection.threadId;
        },
        connect: (callback) => connection.connect(callback),
        destroy: () => {
          stats.inUse--;
          connection.destroy();
        },
        release: () => {
          stats.inUse--;
          connection.release();
        },
        query: (sql: string, values: QueryValues, callback?: (error: unknown, result: never) => void) =>
          connection.query({ sql, values, timeout: QUERY_TIMEOUT_MS }, (error: unknown, result: unknown) => {
            if ((error as { code?: string } | null)?.code === 'PROTOCOL_SEQUENCE_TIMEOUT') connection.destroy();
            callback?.(withoutStatement(error), result as never);
          }),
      };
      bounded.set(connection, wrapped);
    }
    return wrapped;
  };
  return {
    getConnection: (callback) => {
      stats.waiting++;
      pool.getConnection((error, connection) => {
        stats.waiting--;
        if (!error) stats.inUse++;
        callback(error, error ? (connection as never) : wrap(connection));
      });
    },
    end: (callback) => pool.end(callback),
  };
}
