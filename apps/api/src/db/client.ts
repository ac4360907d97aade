/** Opens the database DATABASE_URL names: MySQL through a mysql2 pool, or an embedded SQLite file. */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import type { DatabaseConfig } from '../config.ts';
import type { Database, Db } from './database.ts';
import { runSynchronouslyOn } from './prepared.ts';
import { boundedPool, ClusterMysqlDialect, type PoolStats, readCausallyOnGalera } from './mysql-pool.ts';

export type Dialect = 'mysql' | 'sqlite';

export interface DatabaseClient {
  db: Db;
  dialect: Dialect;
  /** MySQL's pool: connections handed out and not yet released, and requests waiting for one
   * (the metrics' gauge); null on SQLite, which has one connection. */
  poolStats(): PoolStats | null;
  close(): Promise<void>;
}

export type { PoolStats };

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
    readCausallyOnGalera(pool);
    const db = new Kysely<Database>({ dialect: new ClusterMysqlDialect({ pool: boundedPool(pool, stats) }) });
    return { db, dialect: 'mysql', poolStats: () => ({ ...stats }), close: () => db.destroy() };
  }
  if (config.file !== ':memory:') fs.mkdirSync(path.dirname(config.file), { recursive: true });
  const sqlite = new SQLite(config.file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const statements = withStatementCache(sqlite);
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: statements }) });
  runSynchronouslyOn(db, {
    inTransaction: () => sqlite.inTransaction,
    // As Kysely's SqliteConnection answers, so that both paths give the same result.
    run(sql, parameters) {
      const statement = statements.prepare(sql) as SQLite.Statement;
      if (statement.reader) return { rows: statement.all(parameters) as never[] };
      const { changes, lastInsertRowid } = statement.run(parameters);
      return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
    },
  });
  return { db, dialect: 'sqlite', poolStats: () => null, close: () => db.destroy() };
}

/**
 * SQLite with several processes on one file (API_WORKERS, or two instances on one machine): a
 * transaction takes the write lock when it begins (BEGIN IMMEDIATE), waiting for it up to
 * busy_timeout, instead of upgrading from a read later, which in WAL mode fails at once with
 * SQLITE_BUSY whenever another process wrote since the read began (no wait can fix a stale
 * snapshot). Our transactions all write, so nothing is lost by taking the lock up front; a
 * SQLITE_BUSY that still happens is run again like a deadlock (db/conflicts.ts).
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  // Kysely keeps its own copy private: the driver is made from this one.
  readonly settings: SqliteDialectConfig;
  constructor(settings: SqliteDialectConfig) {
    super(settings);
    this.settings = settings;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings);
  }
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
