/**
 * Conflicts settled at COMMIT. On a Galera cluster written through several nodes, a transaction
 * (or a single autocommitted write) that conflicts with one committed on another node fails at
 * COMMIT with a deadlock error (1213) even if it never waited on a lock; InnoDB picks deadlock
 * victims the same way on one server. The loser changed nothing, so it is run again, a bounded
 * number of times with a jittered backoff; a race for a unique key then ends as the duplicate-key
 * error the services turn into the right reason (WEIBO_ALREADY_BOUND, ACCOUNT_TAKEN…).
 */
import { CONFLICT_ATTEMPTS, CONFLICT_BACKOFF_MS } from '../limits/bounds.ts';
import { AppError } from '../errors.ts';
import { isRetryableConflict } from './errors.ts';

/** Retries made in this process (the metrics' weibo_login_db_conflict_retries_total). */
export const conflictRetries = { total: 0 };

/** How long to wait before try `attempt + 1` (attempt ≥ 1). */
export function conflictBackoffMs(attempt: number): number {
  const base = CONFLICT_BACKOFF_MS * 2 ** (attempt - 1);
  return base + Math.random() * base;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` again after a conflict, up to CONFLICT_ATTEMPTS tries in all. One that loses every
 * try is SERVICE_UNAVAILABLE (503, try again in a moment): nothing was written, and the database
 * was too busy with that row, not broken (the Galera races suite with API_WORKERS=2, six
 * processes signing one account in at once through three nodes, once saw one lose five tries).
 */
export async function retryingConflicts<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isRetryableConflict(error)) throw error;
      if (attempt >= CONFLICT_ATTEMPTS) throw new AppError('SERVICE_UNAVAILABLE', { retryAfterSeconds: 1 }, { cause: error });
      conflictRetries.total++;
      await sleep(conflictBackoffMs(attempt));
    }
  }
}
