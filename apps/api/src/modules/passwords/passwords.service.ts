import type { DbHandle } from '../../db/database.ts';
import { AppError } from '../../errors.ts';
import { recordEvent } from '../audit/audit.repository.ts';
import type { ClientInfo } from '../sessions/sessions.service.ts';
import type { UserRow } from '../users/users.table.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { admitAttempt, clearAttempt, markAttemptFailed } from './password-limiter.ts';

export interface PasswordCheck {
  accountKey: string;
  /** Undefined when no such account exists: the same work is done and the same error given. */
  user: UserRow | undefined;
  password: string;
  client: ClientInfo;
  now: number;
}

/**
 * Checks a password under the attempt limits. Unknown account and wrong password are both
 * BAD_CREDENTIALS after the same bcrypt work; while locked, even the right password is refused.
 */
export async function checkPassword(db: DbHandle, hasher: PasswordHasher, check: PasswordCheck): Promise<UserRow> {
  const attemptId = await admitAttempt(db, check.accountKey, check.client.ip ?? 'unknown', check.now);
  const matches = await hasher.verify(check.password, check.user?.password_hash ?? hasher.dummyHash);
  if (matches && check.user) {
    await clearAttempt(db, attemptId);
    return check.user;
  }
  await markAttemptFailed(db, attemptId);
  await recordEvent(db, { kind: 'password_failed', userId: check.user?.id ?? null, accountKey: check.accountKey, ...check.client, at: check.now });
  throw new AppError('BAD_CREDENTIALS');
}
