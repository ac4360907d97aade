/**
 * MySQL (mysql2) as this API uses it, also on a MariaDB Galera cluster written through several
 * nodes (CONTRACT §7): every query bounded in time and scrubbed of its statement on error, a single
 * write outside a transaction run again when it loses a conflict at commit, reads made causal on
 * Galera, and no node-local migration lock (db/cluster-lock.ts holds one across the cluster).
 */
import { MysqlAdapter, MysqlDialect, type MysqlPool, type MysqlPoolConnection } from 'kysely';
import type { Pool, PoolConnection, Query, QueryValues } from 'mysql2';
import { CONFLICT_ATTEMPTS } from '../limits/bounds.ts';
import { conflictBackoffMs, conflictRetries } from './conflicts.ts';
import { isRetryableConflict } from './errors.ts';

export interface PoolStats {
  inUse: number;
  waiting: number;
}

/** Our queries are single-row lookups and writes: far below this even on a loaded server. */
const QUERY_TIMEOUT_MS = 5000;

/**
 * mysql2 puts the failed statement on its errors as `sql`, with the values written into it:
 * session ids, tokens, password hashes. Any log line of such an error would carry them, so the
 * statement is taken off here, where every query passes; the code, errno and message stay.
 */
function withoutStatement(error: unknown): unknown {
  if (error && typeof error === 'object' && 'sql' in error) delete (error as { sql?: string }).sql;
  return error;
}

const BEGIN = /^\s*(start transaction|begin)\b/i;
const END = /^\s*(commit|rollback)\b/i;
const WRITE = /^\s*(insert|update|delete|replace)\b/i;

/**
 * Every query ends within QUERY_TIMEOUT_MS: a server that stops answering without closing its
 * sockets (frozen, partitioned) would otherwise hold each request forever (connectTimeout covers
 * only new connections); a connection whose query timed out is out of step with the server and is
 * dropped, so the transaction's rollback fails at once and the pool opens a fresh one. A write made
 * outside a transaction (autocommit) that loses a conflict at its commit is run again here, as
 * inTransaction runs a whole transaction again; inside a transaction only the whole can be.
 */
export function boundedPool(pool: Pool, stats: PoolStats): MysqlPool {
  const bounded = new WeakMap<PoolConnection, MysqlPoolConnection>();
  const wrap = (connection: PoolConnection): MysqlPoolConnection => {
    const wrapped = bounded.get(connection);
    if (wrapped) return wrapped;
    let inTransaction = false;
    // The first try's Query is what Kysely gets back (it streams nothing, so a retried one needs none).
    const run = (sql: string, values: QueryValues, attempt: number, callback?: (error: unknown, result: never) => void): Query =>
      connection.query({ sql, values, timeout: QUERY_TIMEOUT_MS }, (error: unknown, result: unknown) => {
        if ((error as { code?: string } | null)?.code === 'PROTOCOL_SEQUENCE_TIMEOUT') connection.destroy();
        if (error && !inTransaction && attempt < CONFLICT_ATTEMPTS && WRITE.test(sql) && isRetryableConflict(error)) {
          conflictRetries.total++;
          setTimeout(() => run(sql, values, attempt + 1, callback), conflictBackoffMs(attempt));
          return;
        }
        callback?.(withoutStatement(error), result as never);
      });
    const made: MysqlPoolConnection = {
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
        inTransaction = false;
        connection.release();
      },
      query: (sql: string, values: QueryValues, callback?: (error: unknown, result: never) => void) => {
        if (BEGIN.test(sql)) inTransaction = true;
        else if (END.test(sql)) inTransaction = false;
        return run(sql, values, 1, callback) as never;
      },
    };
    bounded.set(connection, made);
    return made;
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

/**
 * On Galera a node applies other nodes' commits a moment after they are certified: a read there
 * could still see a session another node just ended, or a state it just spent. wsrep_sync_wait=1
 * makes each read (and BEGIN) wait until the node has applied every commit made cluster-wide
 * before it, so what one instance did is seen by all (CONTRACT §7). Set on every new connection,
 * before it is handed out (mysql2 runs a connection's queries in order); a server without
 * wsrep (MySQL 8, plain MariaDB) has no such variable, and is asked first.
 */
export function readCausallyOnGalera(pool: Pool): void {
  pool.on('connection', (connection) => {
    connection.query("show variables like 'wsrep_on'", (error: unknown, rows: unknown) => {
      if (error) return;
      if ((rows as { Value?: string }[])[0]?.Value === 'ON') connection.query('set session wsrep_sync_wait = 1', () => {});
    });
  });
}

/**
 * Kysely's MySQL adapter takes a node-local GET_LOCK around migrations, which on Galera does not
 * stop two instances on two nodes migrating at once (and TiDB treated it as a no-op). Migrations
 * take db/cluster-lock.ts's lock row instead (db/migrate.ts), so this adapter takes none.
 */
class ClusterMysqlAdapter extends MysqlAdapter {
  override async acquireMigrationLock(): Promise<void> {}
  override async releaseMigrationLock(): Promise<void> {}
}

export class ClusterMysqlDialect extends MysqlDialect {
  override createAdapter(): MysqlAdapter {
    return new ClusterMysqlAdapter();
  }
}
