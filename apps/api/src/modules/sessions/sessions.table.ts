import type { Selectable } from 'kysely';

/** One row per signed-in device. The JWT names the row; deleting it ends the session at once. */
export interface SessionsTable {
  /** 128 random bits, hex (case-insensitive collations cannot merge two ids). */
  id: string;
  user_id: number;
  created_at: number;
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
}
export type SessionRow = Selectable<SessionsTable>;
