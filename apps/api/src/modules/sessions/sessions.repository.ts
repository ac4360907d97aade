import type { DbHandle } from '../../db/database.ts';
import type { SessionRow } from './sessions.table.ts';

export async function insertSession(db: DbHandle, row: SessionRow): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

export async function findLiveSession(db: DbHandle, id: string, now: number): Promise<Pick<SessionRow, 'id' | 'user_id'> | undefined> {
  return db.selectFrom('sessions').select(['id', 'user_id']).where('id', '=', id).where('expires_at', '>', now).executeTakeFirst();
}

export async function deleteSession(db: DbHandle, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

export async function deleteUserSessions(db: DbHandle, userId: number): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}
