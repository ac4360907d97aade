/**
 * The operator's own reads and writes (`pnpm admin`): a search over accounts and their Weibo
 * binding, the disabled mark, the last event of a kind. Everything else the operator's services
 * do goes through the other modules' repositories and services.
 */
import { sql } from 'kysely';
import type { DbHandle } from '../../db/database.ts';
import { WEIBO } from '../identities/identities.repository.ts';

/** An account as a search finds it (never its hash: only whether it has one). */
export interface AccountMatchRow {
  id: number;
  account: string;
  display_name: string | null;
  has_password: number;
  disabled_at: number | null;
  created_at: number;
  weibo_uid: string | null;
  weibo_screen_name: string | null;
}

export interface AccountSearch {
  /** Matched anywhere in the account name (lower case, as account_key holds it). */
  accountKeyPart: string;
  /** Matched anywhere in the display name; ASCII letters in lower case (SQLite's lower() folds only those). */
  displayNamePart: string;
  /** The account with this id, when the text is a number. */
  id: number | null;
  /** The account bound to this Weibo uid (whole uid only). */
  weiboUid: string;
}

/** `%`, `_` and the escape character itself, escaped for LIKE … ESCAPE '!' (one spelling both databases read alike). */
const likeContaining = (text: string): string => `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;

/** Accounts matching the search, by id, at most `limit`. Substring matches read the whole users table. */
export async function searchAccounts(db: DbHandle, search: AccountSearch, limit: number): Promise<AccountMatchRow[]> {
  const accountKeyPattern = likeContaining(search.accountKeyPart);
  const displayNamePattern = likeContaining(search.displayNamePart);
  return db
    .selectFrom('users')
    .leftJoin('identities', (join) => join.onRef('identities.user_id', '=', 'users.id').on('identities.provider', '=', WEIBO))
    .select([
      'users.id',
      'users.account',
      'users.display_name',
      'users.disabled_at',
      'users.created_at',
      'identities.provider_uid as weibo_uid',
      'identities.screen_name as weibo_screen_name',
      sql<number>`case when users.password_hash is null then 0 else 1 end`.as('has_password'),
    ])
    .where((eb) =>
      eb.or([
        sql<boolean>`users.account_key like ${accountKeyPattern} escape '!'`,
        sql<boolean>`lower(users.display_name) like ${displayNamePattern} escape '!'`,
        eb('identities.provider_uid', '=', search.weiboUid),
        ...(search.id === null ? [] : [eb('users.id', '=', search.id)]),
      ]),
    )
    .orderBy('users.id')
    .limit(limit)
    .execute();
}

/**
 * Sets (a time) or clears (null) the account's disabled mark, only if it is not already so;
 * answers whether it changed. Two operators at once: one of them changes it.
 */
export async function setDisabledAt(db: DbHandle, userId: number, disabledAt: number | null, now: number): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ disabled_at: disabledAt, updated_at: now })
    .where('id', '=', userId)
    .where('disabled_at', disabledAt === null ? 'is not' : 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** When the account's latest event of this kind happened, or null. */
export async function latestEventAt(db: DbHandle, userId: number, kind: string): Promise<number | null> {
  const row = await db
    .selectFrom('auth_events')
    .select('at')
    .where('user_id', '=', userId)
    .where('kind', '=', kind)
    .orderBy('at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.at ?? null;
}
