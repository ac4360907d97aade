import type { DbHandle } from '../../db/database.ts';
import type { NewUserRow, UserRow } from './users.table.ts';

/** The unique key of an account name: NFC (done by the schema) and lower case. */
export const accountKeyOf = (account: string): string => account.normalize('NFC').toLowerCase();

export async function findUserByAccountKey(db: DbHandle, accountKey: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('account_key', '=', accountKey).executeTakeFirst();
}

export async function findUserById(db: DbHandle, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** MySQL has no RETURNING: insert, then read the row back by its id. */
export async function insertUser(db: DbHandle, row: NewUserRow): Promise<UserRow> {
  const result = await db.insertInto('users').values(row).executeTakeFirstOrThrow();
  return {
    ...row,
    id: Number(result.insertId),
    password_hash: row.password_hash ?? null,
    display_name: row.display_name ?? null,
    avatar_url: row.avatar_url ?? null,
    disabled_at: null,
  };
}

/** With `unlessChangedSince`, only while the row's updated_at is still that (see updateIdentity). */
export async function updateUserProfile(
  db: DbHandle,
  id: number,
  profile: { display_name: string | null; avatar_url: string | null },
  now: number,
  unlessChangedSince?: number,
): Promise<void> {
  let update = db
    .updateTable('users')
    .set({ ...profile, updated_at: now })
    .where('id', '=', id);
  if (unlessChangedSince !== undefined) update = update.where('updated_at', '=', unlessChangedSince);
  await update.execute();
}

/** Replaces the hash only if it is still the one that was checked (a password change wins). */
export async function replacePasswordHash(db: DbHandle, id: number, checkedHash: string, newHash: string, now: number): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: newHash, updated_at: now })
    .where('id', '=', id)
    .where('password_hash', '=', checkedHash)
    .execute();
}

export async function setPasswordHash(db: DbHandle, id: number, hash: string, now: number): Promise<void> {
  await db.updateTable('users').set({ password_hash: hash, updated_at: now }).where('id', '=', id).execute();
}
