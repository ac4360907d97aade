import type { DbHandle } from '../../db/database.ts';
import { AppError } from '../../errors.ts';
import { recordEvent } from '../audit/audit.repository.ts';
import type { ClientInfo } from '../../types.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { UserRow } from '../users/users.table.ts';
import { isKnownBrowser } from './known-browsers.repository.ts';
import { type PasswordHasher, PasswordQueueFull } from './password-hasher.ts';
import { admitAttempt, clearAttempt, markAttemptFailed } from './password-limiter.ts';

export type UserWithPassword = UserRow & { password_hash: string };

export interface PasswordCheck {
  accountKey: string;
  /** Undefined when no such account exists: the same work is done and the same error given. */
  user: UserRow | undefined;
  password: string;
  client: ClientInfo;
  addressKey: string;
  /** sha256 of the asking browser's binding cookie, if it has one. */
  browserHash: string | null;
  /** Aborted when the client goes away: a check still waiting for a thread is dropped. */
  signal: AbortSignal | undefined;
  /** The cost of the hashes stored now (passwords/hash-cost.ts), for an unknown account's dummy. */
  storedCost: number;
  /** Counts each check's result (weibo_login_password_checks_total). */
  metrics: Pick<Metrics, 'passwordCheck'>;
  now: number;
}

/**
 * Checks a password under the attempt limits. Unknown account and wrong password are both
 * BAD_CREDENTIALS after the same bcrypt work (the dummy hash has the cost real hashes have);
 * while locked, even the right password is refused.
 */
export async function checkPassword(db: DbHandle, hasher: PasswordHasher, check: PasswordCheck): Promise<UserWithPassword> {
  // Asked once: the slow-down lets a known browser through, and its check goes first at bcrypt.
  const { user, browserHash } = check;
  // Asked for unknown accounts too (id 0 matches nothing), so both take the same work.
  const known = browserHash !== null ? isKnownBrowser(db, user?.id ?? 0, browserHash, check.now) : Promise.resolve(false);
  // Awaited below, or not at all when the attempt is refused first: never an unhandled rejection.
  known.catch(() => undefined);
  let attemptId: number;
  try {
    attemptId = await admitAttempt(db, {
      accountKey: check.accountKey,
      addressKey: check.addressKey,
      isKnownBrowser: () => known,
      now: check.now,
    });
  } catch (error) {
    if (error instanceof AppError && error.reason === 'TOO_MANY_ATTEMPTS') check.metrics.passwordCheck('refused');
    throw error;
  }
  let matches: boolean;
  try {
    const first = await known;
    matches = await hasher.verify(check.password, user?.password_hash ?? hasher.dummyHashAt(check.storedCost), {
      signal: check.signal,
      first,
    });
  } catch (error) {
    // Not checked at all (queue full, client gone): no guess was made, so nothing counts.
    check.metrics.passwordCheck('busy');
    await clearAttempt(db, attemptId);
    throw busyOr(error);
  }
  // An account without a password (made from Weibo) is checked against the dummy, as an unknown
  // one is: same work, same answer.
  if (matches && user?.password_hash) {
    check.metrics.passwordCheck('ok');
    await clearAttempt(db, attemptId);
    return user as UserWithPassword;
  }
  check.metrics.passwordCheck('wrong');
  await markAttemptFailed(db, attemptId);
  await recordEvent(db, {
    kind: 'password_failed',
    userId: user?.id ?? null,
    accountKey: check.accountKey,
    ...check.client,
    at: check.now,
  });
  throw new AppError('BAD_CREDENTIALS');
}

/** Hashes a new password, or TOO_MANY_ATTEMPTS when the hasher's queue has no room for it. */
export async function hashNewPassword(hasher: PasswordHasher, password: string, signal: AbortSignal | undefined): Promise<string> {
  try {
    return await hasher.hash(password, { signal });
  } catch (error) {
    throw busyOr(error);
  }
}

function busyOr(error: unknown): unknown {
  if (error instanceof PasswordQueueFull)
    return new AppError('TOO_MANY_ATTEMPTS', { retryAfterSeconds: error.retryAfterSeconds, limit: 'busy' }, { cause: error });
  return error;
}
