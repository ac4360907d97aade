/**
 * Sessions: a JWT naming a row of the sessions table. The token is checked for its signature
 * and then for its row, so logout and "log out everywhere" take effect at once.
 */
import type { Session } from '@weibo-login/shared';
import type { DbHandle } from '../../db/database.ts';
import { randomId } from '../../crypto/random.ts';
import type { ClientInfo, VerifiedSession } from '../../types.ts';
import { type SigningKeys, signToken, verifyToken } from '../../crypto/jwt.ts';
import type { Logger } from 'pino';
import type { Metrics } from '../../observability/metrics.ts';
import { deleteSession, deleteUserSessions, findLiveSession, insertSession, touchSession } from './sessions.repository.ts';
import type { SignInMethod } from './sessions.table.ts';

export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export async function startSession(
  db: DbHandle,
  deps: { jwtKeys: SigningKeys; metrics: Pick<Metrics, 'sessionIssued'> },
  userId: number,
  client: ClientInfo,
  now: number,
  method: SignInMethod,
): Promise<Session> {
  const id = randomId();
  const expiresAt = now + SESSION_TTL_MS;
  await insertSession(db, {
    id,
    user_id: userId,
    created_at: now,
    expires_at: expiresAt,
    ip: client.ip,
    user_agent: client.userAgent,
    method,
  });
  deps.metrics.sessionIssued(method);
  return {
    token: signToken(deps.jwtKeys, 'session', { subject: String(userId), jwtid: id }, expiresAt, now),
    expiresAt: new Date(expiresAt).toISOString(),
  };
}

/** A device's "last used" is written at most this often, so that a busy session costs no write per request. */
export const SESSION_TOUCH_INTERVAL_MS = 60_000;

/**
 * The live session a bearer token stands for, or null (forged, expired, logged out). Its "last
 * used" time is brought up to date at most once per SESSION_TOUCH_INTERVAL_MS, in the background:
 * the answer never waits for that write, and a failed one is only logged.
 */
export async function verifySession(
  db: DbHandle,
  keys: SigningKeys,
  token: string,
  now: number,
  log?: Logger,
): Promise<VerifiedSession | null> {
  const claims = verifyToken(keys, 'session', token, now);
  if (!claims) return null;
  const row = await findLiveSession(db, claims.jwtid, now);
  // A disabled account's sessions are ended when it is disabled; one that a sign-in in flight made
  // just after (on another instance, or another database node) is refused here all the same.
  if (!row || String(row.user_id) !== claims.subject || row.disabled_at !== null) return null;
  if (now - (row.last_used_at ?? 0) >= SESSION_TOUCH_INTERVAL_MS) {
    touchSession(db, row.id, row.last_used_at, now).catch((error: unknown) => log?.warn({ err: error }, 'recording a session use failed'));
  }
  return { userId: row.user_id, sessionId: row.id };
}

export async function endSession(db: DbHandle, session: VerifiedSession, everywhere: boolean): Promise<void> {
  if (everywhere) await deleteUserSessions(db, session.userId);
  else await deleteSession(db, session.sessionId);
}
