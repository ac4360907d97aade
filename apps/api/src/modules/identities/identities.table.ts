import type { Generated, Insertable, Selectable } from 'kysely';

/** A provider account (a Weibo uid) bound to a local user. Unique on (provider, provider_uid)
 * and on (user_id, provider). */
export interface IdentitiesTable {
  id: Generated<number>;
  user_id: number;
  provider: string;
  provider_uid: string;
  screen_name: string;
  avatar_url: string | null;
  /** Kept only to ask the provider whether the authorization is still alive (revoke hints). */
  access_token: string | null;
  token_expires_at: number | null;
  bound_at: number;
  updated_at: number;
}
export type IdentityRow = Selectable<IdentitiesTable>;
export type NewIdentityRow = Insertable<IdentitiesTable>;
