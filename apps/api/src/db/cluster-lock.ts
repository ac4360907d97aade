/**
 * Locks that hold across every instance and every database node (CONTRACT §7): a row per lock
 * name, taken with a unique insert, or, once its holder's lease has lapsed (the holder died), with
 * an update conditioned on that. Only the primary key and plain statements are relied on, so it
 * works alike on MySQL, a Galera cluster written through several nodes (where GET_LOCK is local to
 * a node and a conflicting insert on two nodes fails at commit: db/mysql-pool.ts retries it, and
 * the retry finds the row taken), TiDB and SQLite.
 *
 * The table is made here, outside the migrations, because the migrations themselves run under a
 * lock (like Kysely's own kysely_migration tables).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { sql } from 'kysely';
import type { Db } from './database.ts';
import { violatedUniqueIndex } from './errors.ts';

export const LOCKS_TABLE = 'weibo_login_locks';

/** A new holder's name: the host and pid (for an operator reading the table) and a random part, so
 * that two holders in one process (two starts in a test, a migration and the sweeper) differ too. */
export const newHolderId = (): string => `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(6).toString('hex')}`;

export async function ensureLocksTable(db: Db): Promise<void> {
  await sql`create table if not exists ${sql.table(LOCKS_TABLE)} (
    name varchar(64) not null primary key,
    holder varchar(128) not null,
    expires_at bigint not null
  )`.execute(db);
}

/**
 * Takes the lock for `leaseMs` if it is free, lapsed, or already this holder's (a renewal);
 * answers whether this holder has it now.
 */
export async function takeLock(db: Db, name: string, holder: string, leaseMs: number, now: number): Promise<boolean> {
  try {
    await db
      .insertInto(LOCKS_TABLE as never)
      .values({ name, holder, expires_at: now + leaseMs } as never)
      .execute();
    return true;
  } catch (error) {
    if (violatedUniqueIndex(error) === null) throw error;
  }
  const updated = await db
    .updateTable(LOCKS_TABLE as never)
    .set({ holder, expires_at: now + leaseMs } as never)
    .where(sql.ref('name'), '=', name)
    .where((eb) => eb.or([eb(sql.ref('expires_at'), '<', now), eb(sql.ref('holder'), '=', holder)]))
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

export async function releaseLock(db: Db, name: string, holder: string): Promise<void> {
  await db
    .deleteFrom(LOCKS_TABLE as never)
    .where(sql.ref('name'), '=', name)
    .where(sql.ref('holder'), '=', holder)
    .execute();
}

export interface ClusterLockOptions {
  /** How long a holder keeps it without renewing (it renews every third of this while it works). */
  leaseMs: number;
  /** How long to wait for another holder before giving up. */
  waitMs: number;
  /** How often to look again while another holds it. */
  pollMs?: number;
}

/** Runs `work` while holding the lock `name` across the cluster (waiting for it first). */
export async function withClusterLock<T>(db: Db, name: string, work: () => Promise<T>, options: ClusterLockOptions): Promise<T> {
  await ensureLocksTable(db);
  const holder = newHolderId();
  const started = Date.now();
  while (!(await takeLock(db, name, holder, options.leaseMs, Date.now()))) {
    if (Date.now() - started > options.waitMs)
      throw new Error(`the ${name} lock is still held by another instance after ${options.waitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, (options.pollMs ?? 250) * (0.5 + Math.random())));
  }
  const renewal = setInterval(() => {
    takeLock(db, name, holder, options.leaseMs, Date.now()).catch(() => undefined);
  }, options.leaseMs / 3);
  try {
    return await work();
  } finally {
    clearInterval(renewal);
    await releaseLock(db, name, holder).catch(() => undefined);
  }
}
