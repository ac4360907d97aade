/**
 * Sessions: a JWT naming a row of the sessions table. The token is checked for its signature
 * and then for its row, so logout and "log out everywhere" take effect at once.
 */
import type { Session } from '@weibo-login/shared';
import type { DbHandle } from '../../db/database.ts';
import { randomId } from '../../crypto.ts';
import type { ClientInfo, VerifiedSession } from '../../types.ts';
import { signToken, verifyToken } from '../../tokens.ts';
import { deleteSession, deleteUserSessions, findLiveSession, insertSession } from './sessions.repository.ts';

export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export async function startSession(db: DbHandle, secret: string, userId: number, client: ClientInfo, now: number): Promise<Session> {
  const id = randomId();
  const expiresAt = now + SESSION_TTL_MS;
  await insertSession(db, { id, user_id: userId, created_at: now, expires_at: expiresAt, ip: client.ip, user_agent: client.userAgent });
  return {
    token: signToken(secret, 'session', { subject: String(userId), jwtid: id }, expiresAt, now),
    expiresAt: new Date(expiresAt).toISOString(),
  };
}

/** The live session a bearer token stands for, or null (forged, expired, logged out). */
export async function verifySession(db: DbHandle, secret: string, token: string, now: number): Promise<VerifiedSession | null> {
  const claims = verifyToken(secret, 'session', token, now);
  if (!claims) return null;
  const row = await findLiveSession(db, claims.jwtid, now);
  if (!row || String(row.user_id) !== claims.subject) return null;
  return { userId: row.user_id, sessionId: row.id };
}

export async function endSession(db: DbHandle, session: VerifiedSession, everywhere: boolean): Promise<void> {
  if (everywhere) await deleteUserSessions(db, session.userId);
  else await deleteSession(db, session.sessionId);
}
