import type { DbHandle } from '../../db/database.ts';
import { prepareQuery } from '../../db/prepared.ts';
import type { IdentityRow, NewIdentityRow } from './identities.table.ts';

export const WEIBO = 'weibo';

export type IdentityWithUser = IdentityRow & {
  account: string;
  display_name: string | null;
  user_avatar_url: string | null;
  user_password_hash: string | null;
  user_disabled_at: number | null;
  user_updated_at: number;
};

const selectIdentityWithUser = prepareQuery((db, provider: string, providerUid: string) =>
  db
    .selectFrom('identities')
    .innerJoin('users', 'users.id', 'identities.user_id')
    .selectAll('identities')
    .select([
      'users.account',
      'users.display_name',
      'users.avatar_url as user_avatar_url',
      'users.password_hash as user_password_hash',
      'users.disabled_at as user_disabled_at',
      'users.updated_at as user_updated_at',
    ])
    .where('identities.provider', '=', provider)
    .where('identities.provider_uid', '=', providerUid),
);

/** The identity and its user in one indexed read: the hot path of a bound user's Weibo login. */
export async function findIdentityWithUser(db: DbHandle, provider: string, providerUid: string): Promise<IdentityWithUser | undefined> {
  return (await selectIdentityWithUser(db, provider, providerUid)).rows[0];
}

export async function findIdentityByUid(db: DbHandle, provider: string, providerUid: string): Promise<IdentityRow | undefined> {
  return db
    .selectFrom('identities')
    .selectAll()
    .where('provider', '=', provider)
    .where('provider_uid', '=', providerUid)
    .executeTakeFirst();
}

export async function listUserIdentities(db: DbHandle, userId: number): Promise<IdentityRow[]> {
  return db.selectFrom('identities').selectAll().where('user_id', '=', userId).orderBy('id').execute();
}

export async function insertIdentity(db: DbHandle, row: NewIdentityRow): Promise<IdentityRow> {
  const result = await db.insertInto('identities').values(row).executeTakeFirstOrThrow();
  return {
    ...row,
    id: Number(result.insertId),
    avatar_url: row.avatar_url ?? null,
    access_token: row.access_token ?? null,
    token_expires_at: row.token_expires_at ?? null,
  };
}

/** Updates the identity; with `unlessChangedSince`, only while its updated_at is still that (a
 * compare-and-set: of several sign-ins that read the row at once, the first one's write stands and
 * the others write nothing, so they cannot conflict with it at commit). */
export async function updateIdentity(
  db: DbHandle,
  id: number,
  changes: Partial<Pick<IdentityRow, 'screen_name' | 'avatar_url' | 'access_token' | 'token_expires_at' | 'updated_at'>>,
  unlessChangedSince?: number,
): Promise<void> {
  let update = db.updateTable('identities').set(changes).where('id', '=', id);
  if (unlessChangedSince !== undefined) update = update.where('updated_at', '=', unlessChangedSince);
  await update.execute();
}

/** Returns the identity that was removed, if there was one. */
export async function deleteUserIdentity(db: DbHandle, userId: number, provider: string): Promise<IdentityRow | undefined> {
  const row = await db
    .selectFrom('identities')
    .selectAll()
    .where('user_id', '=', userId)
    .where('provider', '=', provider)
    .executeTakeFirst();
  if (!row) return undefined;
  const deleted = await db.deleteFrom('identities').where('id', '=', row.id).executeTakeFirst();
  return deleted.numDeletedRows === 1n ? row : undefined;
}

/** Deletes the identity only if it still holds that token (a login may have just renewed it). */
export async function deleteIdentityWithToken(db: DbHandle, id: number, accessToken: string): Promise<boolean> {
  const deleted = await db.deleteFrom('identities').where('id', '=', id).where('access_token', '=', accessToken).executeTakeFirst();
  return deleted.numDeletedRows === 1n;
}
