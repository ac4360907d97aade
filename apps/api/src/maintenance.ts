/**
 * Expired states, tickets, sessions, old password attempts, forgotten browsers and events past
 * AUDIT_RETENTION_DAYS are swept on a timer, off the request path, so the tables stay short and
 * every request does only its own row work. Each table is swept in batches of SWEEP_BATCH_ROWS
 * rows by primary key, yielding between batches: no single DELETE holds SQLite (which runs on
 * the event loop) or a MySQL lock for long, however much piled up.
 */
import type { DbHandle } from './db/database.ts';
import type { AppDeps } from './deps.ts';
import { ensureLocksTable, newHolderId, releaseLock, takeLock } from './db/cluster-lock.ts';
import { runDueRevocations } from './modules/weibo-login/revocation-outbox.ts';
import { purgeExpiredTokens, resealStoredTokens } from './modules/weibo-login/stored-tokens.ts';
import {
  ATTEMPT_WINDOW_MS,
  BACKGROUND_LEASE_MS,
  KNOWN_BROWSER_TTL_MS,
  SWEEP_BATCH_ROWS,
  SWEEP_EVERY_MS,
  SWEEP_MAX_BATCHES,
} from './limits/bounds.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface SweepOptions {
  auditRetentionDays: number;
}

type Sweep = (db: DbHandle, before: number) => Promise<number>;

/** Deletes up to one batch of the rows older than `before`, by their ids; returns how many. */
const batchBy =
  (table: 'oauth_states' | 'bind_tickets' | 'sessions' | 'password_attempts' | 'auth_events', column: 'expires_at' | 'at'): Sweep =>
  async (db, before) => {
    // Typed as one of the tables: all of them have an `id` key and the named time column.
    const rows = await db
      .selectFrom(table as 'sessions')
      .select('id')
      .where(column as 'expires_at', '<=', before)
      .limit(SWEEP_BATCH_ROWS)
      .execute();
    if (rows.length === 0) return 0;
    await db
      .deleteFrom(table as 'sessions')
      .where(
        'id',
        'in',
        rows.map((row) => row.id),
      )
      .execute();
    return rows.length;
  };

const sweepKnownBrowsers: Sweep = async (db, before) => {
  const rows = await db
    .selectFrom('known_browsers')
    .select(['user_id', 'browser_hash'])
    .where('last_seen_at', '<=', before)
    .limit(SWEEP_BATCH_ROWS)
    .execute();
  if (rows.length === 0) return 0;
  // One statement for the batch (its key has two columns, so no `id in (…)`).
  await db
    .deleteFrom('known_browsers')
    .where((eb) => eb.or(rows.map((row) => eb.and([eb('user_id', '=', row.user_id), eb('browser_hash', '=', row.browser_hash)]))))
    .execute();
  return rows.length;
};

const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Sweeps each table in bounded batches; returns the rows deleted per table. */
export async function sweepExpired(db: DbHandle, now: number, options: SweepOptions): Promise<Record<string, number>> {
  const plan: [string, Sweep, number][] = [
    ['oauth_states', batchBy('oauth_states', 'expires_at'), now],
    ['bind_tickets', batchBy('bind_tickets', 'expires_at'), now],
    ['sessions', batchBy('sessions', 'expires_at'), now],
    ['password_attempts', batchBy('password_attempts', 'at'), now - ATTEMPT_WINDOW_MS],
    ['known_browsers', sweepKnownBrowsers, now - KNOWN_BROWSER_TTL_MS],
    ['auth_events', batchBy('auth_events', 'at'), now - options.auditRetentionDays * DAY_MS],
  ];
  const deleted: Record<string, number> = {};
  for (const [table, sweep, before] of plan) {
    deleted[table] = 0;
    for (let batch = 0; batch < SWEEP_MAX_BATCHES; batch++) {
      const rows = await sweep(db, before);
      deleted[table] += rows;
      if (rows < SWEEP_BATCH_ROWS) break;
      await yieldToRequests();
    }
  }
  return deleted;
}

/**
 * Every minute, on one instance at a time (CONTRACT §7): the instance holding the `background`
 * lease (db/cluster-lock.ts) sweeps, purges and seals tokens, and retries the revoke outbox; the
 * others only refresh what they cache. The holder renews the lease each minute; if it stops, another
 * takes over once BACKGROUND_LEASE_MS has passed.
 */
export function startSweeper(deps: AppDeps, options: SweepOptions): () => Promise<void> {
  const holder = newHolderId();
  const ready = ensureLocksTable(deps.db).catch((error: unknown) => deps.log.warn({ err: error }, 'the locks table could not be made'));
  const tick = async () => {
    await ready;
    if (await takeLock(deps.db, BACKGROUND_LOCK, holder, BACKGROUND_LEASE_MS, deps.now())) {
      await sweepExpired(deps.db, deps.now(), options);
      await purgeExpiredTokens(deps);
      await resealStoredTokens(deps);
      // Revokes at Weibo that failed before (or whose instance stopped) are retried from the outbox.
      await runDueRevocations(deps);
    }
    await deps.storedHashCost.refresh(deps.db);
  };
  const timer = setInterval(() => {
    tick().catch((error: unknown) => deps.log.warn({ err: error }, 'background work failed; tried again in a minute'));
  }, SWEEP_EVERY_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    // Handed back at once, so another instance need not wait for the lease to lapse.
    await releaseLock(deps.db, BACKGROUND_LOCK, holder).catch(() => undefined);
  };
}

const BACKGROUND_LOCK = 'background';
