import type { DbHandle } from '../../db/database.ts';
import { prepareQuery } from '../../db/prepared.ts';
import type { SessionRow } from './sessions.table.ts';

const insertSessionRow = prepareQuery(
  (db, id: string, userId: number, createdAt: number, expiresAt: number, ip: string | null, userAgent: string | null) =>
    db.insertInto('sessions').values({ id, user_id: userId, created_at: createdAt, expires_at: expiresAt, ip, user_agent: userAgent }),
);

export async function insertSession(db: DbHandle, row: SessionRow): Promise<void> {
  await insertSessionRow(db, row.id, row.user_id, row.created_at, row.expires_at, row.ip, row.user_agent);
}

/** Every authenticated request asks this. */
const selectLiveSession = prepareQuery((db, id: string, now: number) =>
  db.selectFrom('sessions').select(['id', 'user_id']).where('id', '=', id).where('expires_at', '>', now),
);

export async function findLiveSession(db: DbHandle, id: string, now: number): Promise<Pick<SessionRow, 'id' | 'user_id'> | undefined> {
  return (await selectLiveSession(db, id, now)).rows[0];
}

export async function deleteSession(db: DbHandle, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

export async function deleteUserSessions(db: DbHandle, userId: number): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}
