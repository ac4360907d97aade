import type { Generated, Selectable } from 'kysely';

/** One row per signed-in device. The JWT names the row; deleting it ends the session at once. */
export interface SessionsTable {
  /** 128 random bits, hex (case-insensitive collations cannot merge two ids). */
  id: string;
  user_id: number;
  created_at: number;
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
  /** How it signed in: 'password' or 'weibo'. */
  method: string;
  /** Updated at most once a minute (SESSION_TOUCH_INTERVAL_MS), off the answer's path. */
  last_used_at: number | null;
  /** Until when this session counts as re-authenticated (CONTRACT §3, 2e), or null. */
  reauthenticated_until: Generated<number | null>;
}
export type SessionRow = Selectable<SessionsTable>;
export type NewSessionRow = Pick<SessionRow, 'id' | 'user_id' | 'created_at' | 'expires_at' | 'ip' | 'user_agent'> & {
  method: SignInMethod;
};
/** How a session signed in (CONTRACT §3 Device.method). */
export type SignInMethod = 'password' | 'weibo';
