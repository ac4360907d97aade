/**
 * Failed-password limits, counted in the database so they hold across restarts and API
 * instances (design and numbers: docs/security.md "Lock-out"). An attempt is written BEFORE the
 * password is checked and counted after, so N parallel guesses see each other and at most the
 * limit get through; a wrong password marks its attempt failed, a right one removes it.
 *
 * Who is locked: the (account, address) pair after MAX_FAILURES_PER_PAIR, and an address after
 * MAX_FAILURES_PER_ADDRESS whatever the accounts. Failures of one account from many addresses
 * only slow that account down (one check per ACCOUNT_SLOWDOWN_SPACING_MS), and not at all for a
 * browser that has signed in to it before: a stranger cannot lock the owner out of their own
 * browser, and guessing from everywhere stays as slow as a lock would make it.
 */
import type { DbHandle } from '../../db/database.ts';
import { AppError, type AppErrorDetails } from '../../errors.ts';
import {
  ACCOUNT_SLOWDOWN_AFTER_FAILURES,
  ACCOUNT_SLOWDOWN_SPACING_MS,
  ATTEMPT_WINDOW_MS,
  MAX_FAILURES_PER_ADDRESS,
  MAX_FAILURES_PER_PAIR,
} from '../../limits/bounds.ts';

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

type Refusal = Required<Pick<AppErrorDetails, 'retryAfterSeconds' | 'limit'>>;

const num = (value: number | string | null | undefined): number => Number(value ?? 0);
const orNull = (value: number | string | null | undefined): number | null => (value === null || value === undefined ? null : Number(value));

/** Attempts of this account: by this address (the pair), and from everywhere. Only attempts
 * admitted up to this one count, so the earliest within a limit go ahead. */
async function countAccount(db: DbHandle, accountKey: string, addressKey: string, upToId: number, now: number) {
  const row = await db
    .selectFrom('password_attempts')
    .select((eb) => {
      const pair = eb('ip', '=', addressKey);
      const failed = eb('failed', '=', 1);
      return [
        eb.fn.sum<number | string | null>(eb.case().when(pair).then(1).else(0).end()).as('pair_counted'),
        eb.fn
          .sum<number | string | null>(
            eb
              .case()
              .when(eb.and([pair, failed]))
              .then(1)
              .else(0)
              .end(),
          )
          .as('pair_failures'),
        eb.fn
          .min<number | string | null>(
            eb
              .case()
              .when(eb.and([pair, failed]))
              .then(eb.ref('at'))
              .end(),
          )
          .as('pair_first_failure'),
        eb.fn.countAll<number | string>().as('account_counted'),
        eb.fn.sum<number | string | null>(eb.case().when(failed).then(1).else(0).end()).as('account_failures'),
        eb.fn.max<number | string | null>(eb.case().when('id', '<', upToId).then(eb.ref('at')).end()).as('latest_other'),
      ];
    })
    .where('account_key', '=', accountKey)
    .where('at', '>', now - ATTEMPT_WINDOW_MS)
    .where('id', '<=', upToId)
    .where((eb) => eb.or([eb('failed', '=', 1), eb('at', '>', now - PENDING_ABANDONED_MS)]))
    .executeTakeFirstOrThrow();
  return {
    pair: {
      counted: num(row.pair_counted),
      failures: num(row.pair_failures),
      firstFailure: orNull(row.pair_first_failure),
    } satisfies AttemptCounts,
    account: { counted: num(row.account_counted), failures: num(row.account_failures), firstFailure: null } satisfies AttemptCounts,
    latestOther: orNull(row.latest_other),
  };
}

async function countAddress(db: DbHandle, addressKey: string, upToId: number, now: number): Promise<AttemptCounts> {
  const row = await db
    .selectFrom('password_attempts')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('counted'),
      eb.fn.sum<number | string | null>(eb.case().when('failed', '=', 1).then(1).else(0).end()).as('failures'),
      eb.fn.min<number | string | null>(eb.case().when('failed', '=', 1).then(eb.ref('at')).end()).as('first_failure'),
    ])
    .where('ip', '=', addressKey)
    .where('at', '>', now - ATTEMPT_WINDOW_MS)
    .where('id', '<=', upToId)
    .where((eb) => eb.or([eb('failed', '=', 1), eb('at', '>', now - PENDING_ABANDONED_MS)]))
    .executeTakeFirstOrThrow();
  return { counted: num(row.counted), failures: num(row.failures), firstFailure: orNull(row.first_failure) };
}

/** The refusal when this attempt is over the limit: the oldest failure's age-out when failures
 * alone fill it, or a moment when it was only other sign-ins still being checked. */
function overLimit(counts: AttemptCounts, limit: number, now: number): Refusal | null {
  if (counts.counted <= limit) return null;
  if (counts.failures < limit || counts.firstFailure === null) return { retryAfterSeconds: IN_FLIGHT_RETRY_S, limit: 'in_flight' };
  return { retryAfterSeconds: Math.max(1, Math.ceil((counts.firstFailure + ATTEMPT_WINDOW_MS - now) / 1000)), limit: 'failures' };
}

/** Past ACCOUNT_SLOWDOWN_AFTER_FAILURES attempts on the account (from anywhere, failed or still
 * being checked), one more is let through only once the spacing since the last has passed. */
function slowDown(account: AttemptCounts, latestOther: number | null, now: number): Refusal | null {
  if (account.counted <= ACCOUNT_SLOWDOWN_AFTER_FAILURES || latestOther === null) return null;
  // Not failures yet, only sign-ins in flight: they settle within a second.
  if (account.failures < ACCOUNT_SLOWDOWN_AFTER_FAILURES) return { retryAfterSeconds: IN_FLIGHT_RETRY_S, limit: 'in_flight' };
  const spacingEnds = latestOther + ACCOUNT_SLOWDOWN_SPACING_MS;
  return spacingEnds > now ? { retryAfterSeconds: Math.max(1, Math.ceil((spacingEnds - now) / 1000)), limit: 'failures' } : null;
}

export interface AttemptRequest {
  accountKey: string;
  addressKey: string;
  /** Whether the asking browser has signed in to this account before; asked only when the
   * account is slowed down. */
  isKnownBrowser(): Promise<boolean>;
  now: number;
}

/** Records an attempt and returns its id, or throws TOO_MANY_ATTEMPTS (with the wait and which
 * limit) and records nothing, so a refused client does not extend its own lock. */
export async function admitAttempt(db: DbHandle, request: AttemptRequest): Promise<number> {
  const { accountKey, addressKey, now } = request;
  const inserted = await db
    .insertInto('password_attempts')
    .values({ account_key: accountKey, ip: addressKey, at: now })
    .executeTakeFirstOrThrow();
  const id = Number(inserted.insertId);
  const [account, address] = await Promise.all([countAccount(db, accountKey, addressKey, id, now), countAddress(db, addressKey, id, now)]);
  const refusals = [overLimit(account.pair, MAX_FAILURES_PER_PAIR, now), overLimit(address, MAX_FAILURES_PER_ADDRESS, now)].filter(
    (r): r is Refusal => r !== null,
  );
  if (refusals.length === 0) {
    const slowed = slowDown(account.account, account.latestOther, now);
    if (slowed && !(await request.isKnownBrowser())) refusals.push(slowed);
  }
  if (refusals.length === 0) return id;
  await clearAttempt(db, id);
  const longest = refusals.reduce((a, b) => (b.retryAfterSeconds > a.retryAfterSeconds ? b : a));
  throw new AppError('TOO_MANY_ATTEMPTS', longest);
}

export async function markAttemptFailed(db: DbHandle, attemptId: number): Promise<void> {
  await db.updateTable('password_attempts').set({ failed: 1 }).where('id', '=', attemptId).execute();
}

export async function clearAttempt(db: DbHandle, attemptId: number): Promise<void> {
  await db.deleteFrom('password_attempts').where('id', '=', attemptId).execute();
}
