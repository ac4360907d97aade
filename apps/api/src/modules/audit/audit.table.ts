import type { Generated, Selectable } from 'kysely';

/** The audit trail behind auth.activity. */
export interface AuthEventsTable {
  id: Generated<number>;
  user_id: number | null;
  /** For failed passwords of unknown accounts there is no user, only the name that was tried. */
  account_key: string | null;
  kind: string;
  ip: string | null;
  user_agent: string | null;
  at: number;
  /** An operator's reason, for an operator's action. */
  reason: Generated<string | null>;
}
export type AuthEventRow = Selectable<AuthEventsTable>;
