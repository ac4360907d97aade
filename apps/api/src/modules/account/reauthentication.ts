/**
 * Re-authentication (CONTRACT §3, 2e): proof that the person at the keyboard owns the account,
 * asked before sensitive actions. A session token alone never proves it, however fresh. The proof
 * is the account's password in the call, or a re-authentication of this session (by password or
 * by a fresh Weibo sign-in of the bound account) within the last REAUTH_TTL_MS, kept in the
 * sessions row so that every instance sees it.
 */
import type { AppDeps } from '../../deps.ts';
import type { Db, DbHandle } from '../../db/database.ts';
import { inTransaction } from '../../db/transaction.ts';
import { AppError } from '../../errors.ts';
import type { RequestInfo, VerifiedSession } from '../../types.ts';
import { recordEvent } from '../audit/audit.repository.ts';
import { findReauthenticatedUntil, setReauthenticatedUntil } from '../sessions/sessions.repository.ts';
import { findUserById } from '../users/users.repository.ts';
import type { UserRow } from '../users/users.table.ts';
import { verifyCredentials } from '../users/users.service.ts';

/** How long a re-authentication counts, for this session only. */
export const REAUTH_TTL_MS = 5 * 60 * 1000;

/** Marks this session as re-authenticated until now + REAUTH_TTL_MS, with an event; answers the
 * time. A session that ended meanwhile (signed out elsewhere, or its account deleted while the
 * password was checked) is UNAUTHENTICATED, and no event names the gone account. */
export async function markReauthenticated(db: Db, session: VerifiedSession, request: RequestInfo, now: number): Promise<{ until: string }> {
  const until = now + REAUTH_TTL_MS;
  await inTransaction(db, async (trx) => {
    if (!(await setReauthenticatedUntil(trx, session.sessionId, until))) throw new AppError('UNAUTHENTICATED');
    await recordEvent(trx, { kind: 'reauthenticated', userId: session.userId, ...request.client, at: now });
  });
  return { until: new Date(until).toISOString() };
}

/** account.reauthenticate: the password, checked under the sign-in limits (a wrong one counts toward the lock-out). */
export async function reauthenticateWithPassword(
  deps: AppDeps,
  password: string,
  session: VerifiedSession,
  request: RequestInfo,
): Promise<{ until: string }> {
  const user = await currentUser(deps, session);
  await verifyCredentials(deps, { account: user.account, password }, request);
  return markReauthenticated(deps.db, session, request, deps.now());
}

/** Whether this session re-authenticated within REAUTH_TTL_MS. */
export async function isReauthenticated(db: DbHandle, session: VerifiedSession, now: number): Promise<boolean> {
  return ((await findReauthenticatedUntil(db, session.sessionId)) ?? 0) > now;
}

/**
 * The proof a sensitive action needs: the account's password when the call gives one (a wrong one
 * is BAD_CREDENTIALS and counts toward the lock-out), else a recent re-authentication of this
 * session, else REAUTH_REQUIRED. Answers the account.
 */
export async function requireOwnerProof(
  deps: AppDeps,
  session: VerifiedSession,
  password: string | undefined,
  request: RequestInfo,
): Promise<UserRow> {
  const user = await currentUser(deps, session);
  if (password !== undefined) return verifyCredentials(deps, { account: user.account, password }, request);
  if (!(await isReauthenticated(deps.db, session, deps.now()))) throw new AppError('REAUTH_REQUIRED');
  return user;
}

export async function currentUser(deps: AppDeps, session: VerifiedSession): Promise<UserRow> {
  const user = await findUserById(deps.db, session.userId);
  if (!user) throw new AppError('UNAUTHENTICATED');
  return user;
}
