/**
 * Failed-password limits per account and per client address, counted in the database so they
 * hold across restarts and API instances. An attempt is written BEFORE the password is checked
 * and counted after, so N parallel guesses see each other and at most the limit get through;
 * a wrong password marks its attempt failed, a right one removes it.
 */
import { AppError } from '../../errors.ts';
import type { DbHandle } from '../../db/database.ts';

export const ATTEMPT_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
/** Higher than per account: many people can share one address (campus, office, carrier NAT). */
export const MAX_FAILURES_PER_IP = 30;
/** A check still pending after this long was cut off (a crash, a database outage): it stops
 * counting instead of holding the account for the whole window. */
const PENDING_ABANDONED_MS = 60 * 1000;
/** The wait given when only sign-ins in flight are in the way: they settle within a second. */
const IN_FLIGHT_RETRY_S = 1;

interface AttemptCounts {
  /** Failures and still-pending checks admitted up to and including this attempt. */
  counted: number;
  failures: number;
  firstFailure: number | null;
}

/** Only attempts admitted before this one count against it: the earliest within the limit go
 * ahead, so a burst of sign-ins is cut at the limit instead of every one seeing all the others. */
async function countSince(db: DbHandle, column: 'account_key' | 'ip', value: string, upToId: number, now: number): Promise<AttemptCounts> {
  const row = await db
    .selectFrom('password_attempts')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('counted'),
      eb.fn.sum<number | string | null>(eb.case().when('failed', '=', 1).then(1).else(0).end()).as('failures'),
      eb.fn.min<number | string | null>(eb.case().when('failed', '=', 1).then(eb.ref('at')).end()).as('first_failure'),
    ])
    .where(column, '=', value)
    .where('at', '>', now - ATTEMPT_WINDOW_MS)
    .where('id', '<=', upToId)
    .where((eb) => eb.or([eb('failed', '=', 1), eb('at', '>', now - PENDING_ABANDONED_MS)]))
    .executeTakeFirstOrThrow();
  return { counted: Number(row.counted), failures: Number(row.failures ?? 0), firstFailure: row.first_failure === null ? null : Number(row.first_failure) };
}

/** Seconds until an attempt may be made again: the oldest failure's age-out when failures alone
 * fill the limit, or a moment when it was only other sign-ins still being checked. */
function retryAfterSeconds(counts: AttemptCounts, limit: number, now: number): number | null {
  if (counts.counted <= limit) return null;
  if (counts.failures < limit || counts.firstFailure === null) return IN_FLIGHT_RETRY_S;
  return Math.max(1, Math.ceil((counts.firstFailure + ATTEMPT_WINDOW_MS - now) / 1000));
}

/** Records an attempt and returns its id, or throws TOO_MANY_ATTEMPTS (with the wait) and
 * records nothing, so a locked-out client does not extend its own lock. */
export async function admitAttempt(db: DbHandle, accountKey: string, ip: string, now: number): Promise<number> {
  const inserted = await db.insertInto('password_attempts').values({ account_key: accountKey, ip, at: now }).executeTakeFirstOrThrow();
  const id = Number(inserted.insertId);
  const [byAccount, byIp] = await Promise.all([countSince(db, 'account_key', accountKey, id, now), countSince(db, 'ip', ip, id, now)]);
  const waits = [retryAfterSeconds(byAccount, MAX_FAILURES_PER_ACCOUNT, now), retryAfterSeconds(byIp, MAX_FAILURES_PER_IP, now)].filter(
    (wait): wait is number => wait !== null,
  );
  if (waits.length === 0) return id;
  await clearAttempt(db, id);
  throw new AppError('TOO_MANY_ATTEMPTS', { retryAfterSeconds: Math.max(...waits) });
}

export async function markAttemptFailed(db: DbHandle, attemptId: number): Promise<void> {
  await db.updateTable('password_attempts').set({ failed: 1 }).where('id', '=', attemptId).execute();
}

export async function clearAttempt(db: DbHandle, attemptId: number): Promise<void> {
  await db.deleteFrom('password_attempts').where('id', '=', attemptId).execute();
}
