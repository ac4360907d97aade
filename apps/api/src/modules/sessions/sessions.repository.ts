import type { DbHandle } from '../../db/database.ts';
import { prepareQuery } from '../../db/prepared.ts';
import type { NewSessionRow, SessionRow } from './sessions.table.ts';

const insertSessionRow = prepareQuery(
  (db, id: string, userId: number, createdAt: number, expiresAt: number, ip: string | null, userAgent: string | null, method: string) =>
    db.insertInto('sessions').values({
      id,
      user_id: userId,
      created_at: createdAt,
      expires_at: expiresAt,
      ip,
      user_agent: userAgent,
      method,
      last_used_at: createdAt,
    }),
);

export async function insertSession(db: DbHandle, row: NewSessionRow): Promise<void> {
  await insertSessionRow(db, row.id, row.user_id, row.created_at, row.expires_at, row.ip, row.user_agent, row.method);
}

/** Every authenticated request asks this: the session, and whether its account is disabled. */
const selectLiveSession = prepareQuery((db, id: string, now: number) =>
  db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.id', 'sessions.user_id', 'sessions.last_used_at', 'users.disabled_at'])
    .where('sessions.id', '=', id)
    .where('sessions.expires_at', '>', now),
);

export async function findLiveSession(
  db: DbHandle,
  id: string,
  now: number,
): Promise<(Pick<SessionRow, 'id' | 'user_id' | 'last_used_at'> & { disabled_at: number | null }) | undefined> {
  return (await selectLiveSession(db, id, now)).rows[0];
}

/** Records a use of the session, unless another request did since `seenAt`. */
export async function touchSession(db: DbHandle, id: string, seenAt: number | null, now: number): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) => (seenAt === null ? eb('last_used_at', 'is', null) : eb('last_used_at', '=', seenAt)))
    .execute();
}

export async function deleteSession(db: DbHandle, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

export async function deleteUserSessions(db: DbHandle, userId: number): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

/** Answers whether the session still exists (it may have ended, or its account been deleted, since it was verified). */
export async function setReauthenticatedUntil(db: DbHandle, id: string, until: number): Promise<boolean> {
  const result = await db.updateTable('sessions').set({ reauthenticated_until: until }).where('id', '=', id).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function findReauthenticatedUntil(db: DbHandle, id: string): Promise<number | null> {
  const row = await db.selectFrom('sessions').select('reauthenticated_until').where('id', '=', id).executeTakeFirst();
  return row?.reauthenticated_until ?? null;
}

/** The account's live sessions (its devices), most recently used first. */
export async function listLiveSessions(db: DbHandle, userId: number, now: number): Promise<SessionRow[]> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('expires_at', '>', now)
    .orderBy('last_used_at', 'desc')
    .orderBy('created_at', 'desc')
    .execute();
}

/** Deletes one session of this user; false when it is not one of theirs (or already gone). */
export async function deleteUserSession(db: DbHandle, userId: number, id: string): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function deleteOtherSessions(db: DbHandle, userId: number, keptId: string): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).where('id', '!=', keptId).execute();
}
