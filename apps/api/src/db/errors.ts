/**
 * The two databases report the same failures differently; these functions give one answer so
 * services can turn a duplicate key into the right reason (races are settled by the database).
 */

/** SQLite names columns, MySQL names the index: map SQLite's column lists to our index names. */
const SQLITE_UNIQUE_COLUMNS: Record<string, string> = {
  'users.account_key': 'users_account_key_unique',
  'identities.provider, identities.provider_uid': 'identities_provider_uid_unique',
  'identities.user_id, identities.provider': 'identities_user_provider_unique',
};

interface DriverError {
  code?: string;
  errno?: number;
  message?: string;
  /** mysql2: the connection is broken (lost, or already closed when a rollback is tried on it). */
  fatal?: boolean;
}

function asDriverError(error: unknown): DriverError | null {
  return typeof error === 'object' && error !== null ? (error as DriverError) : null;
}

/** The name of the unique index a failed insert or update violated, or null if it was not that. */
export function violatedUniqueIndex(error: unknown): string | null {
  const e = asDriverError(error);
  if (!e?.message) return null;
  if (e.code === 'ER_DUP_ENTRY' || e.errno === 1062) {
    // MariaDB: "for key 'name'"; MySQL 8: "for key 'table.name'".
    const match = /for key '(?:[^'.]+\.)?([^']+)'/.exec(e.message);
    return match?.[1] ?? 'unknown';
  }
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const columns = e.message.replace(/^UNIQUE constraint failed: /, '');
    return SQLITE_UNIQUE_COLUMNS[columns] ?? columns;
  }
  return null;
}

/** A row refers to one that is gone: the account a sign-in, a bind or a session holder's call acts
 * for was deleted (account.delete) between the read that found it and the write (SQLite
 * SQLITE_CONSTRAINT_FOREIGNKEY; MySQL 1452, or 1216 from older servers). */
export function isMissingParentRow(error: unknown): boolean {
  const e = asDriverError(error);
  return e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || e?.code === 'ER_NO_REFERENCED_ROW_2' || e?.errno === 1452 || e?.errno === 1216;
}

/** Deadlocks (and Galera's certification failures, reported as one: 1213) and SQLite's busy
 * file: the transaction did nothing and may simply be run again. (A lock-wait timeout, 1205, is
 * not: it comes after the server waited for as long as it will, or at once from a Galera node that
 * lost the cluster; see isDatabaseUnavailable.) */
export function isRetryableConflict(error: unknown): boolean {
  const e = asDriverError(error);
  return e?.code === 'ER_LOCK_DEADLOCK' || e?.errno === 1213 || e?.code === 'SQLITE_BUSY';
}

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'POOL_CLOSED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
]);

/** The database cannot be reached or cannot write: the client gets SERVICE_UNAVAILABLE, not a 500. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = asDriverError(error);
  if (!e) return false;
  if (e.code && CONNECTION_ERRORS.has(e.code)) return true;
  if (e.fatal === true) return true;
  // A Galera node that is not (or no longer) part of the primary component (measured by the
  // cluster suite, reliability/galera-quorum.stress.ts): 1047 "WSREP has not yet prepared node for
  // application use" for table queries, 1205 at once for a causal read (wsrep_sync_wait), 1180
  // "Not connected to Primary Component" at commit. Another node can serve; this one cannot, for
  // now. A lock-wait timeout on one server (1205 after innodb_lock_wait_timeout) is no better: the
  // database could not serve the request in time.
  return (
    e.errno === 1047 ||
    e.errno === 1180 ||
    e.errno === 1205 ||
    e.code === 'ER_LOCK_WAIT_TIMEOUT' ||
    e.errno === 2002 ||
    e.errno === 2003 ||
    e.errno === 2013 ||
    /connect ETIMEDOUT|Connection lost|Pool is closed|WSREP has not yet prepared/i.test(e.message ?? '')
  );
}
