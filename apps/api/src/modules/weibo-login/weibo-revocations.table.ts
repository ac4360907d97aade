import type { Selectable } from 'kysely';

/**
 * The outbox of revokes still to be made at Weibo (revokeoauth2) after an account or a binding is
 * gone: kept in the database so that a failed revoke is retried after a restart, by any instance.
 */
export interface WeiboRevocationsTable {
  /** 128 random bits, hex. */
  id: string;
  access_token: string;
  /** Past this the token is dead anyway: the revoke is dropped. */
  token_expires_at: number;
  attempts: number;
  /** When it may be tried next; a claim pushes it REVOKE_CLAIM_MS ahead. */
  next_attempt_at: number;
  created_at: number;
}
export type WeiboRevocationRow = Selectable<WeiboRevocationsTable>;
