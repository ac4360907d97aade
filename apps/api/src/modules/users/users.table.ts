import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Times are epoch milliseconds in every table: one representation on MySQL and SQLite. */
export interface UsersTable {
  id: Generated<number>;
  /** As the person typed it (NFC), shown back to them. */
  account: string;
  /** Lower-cased account: the unique key, so "Alice" and "alice" are one account on both databases. */
  account_key: string;
  password_hash: string;
  display_name: string | null;
  avatar_url: string | null;
  created_at: number;
  updated_at: number;
}
export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
