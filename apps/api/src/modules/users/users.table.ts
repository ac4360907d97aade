import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Times are epoch milliseconds in every table: one representation on MySQL and SQLite. */
export interface UsersTable {
  id: Generated<number>;
  /** As the person typed it (NFC), shown back to them. */
  account: string;
  /** Lower-cased account: the unique key, so "Alice" and "alice" are one account on both databases. */
  account_key: string;
  /** bcrypt; null for an account made from Weibo without a password (it signs in with Weibo only). */
  password_hash: string | null;
  display_name: string | null;
  avatar_url: string | null;
  created_at: number;
  updated_at: number;
  /** When an operator disabled the account (it cannot sign in), or null. */
  disabled_at: Generated<number | null>;
}
export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
