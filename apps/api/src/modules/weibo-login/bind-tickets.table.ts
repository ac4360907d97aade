import type { Selectable } from 'kysely';

/** What a bind ticket stands for: the provider account proven by a code exchange, waiting to be
 * bound. The signed ticket carries only its id (jti) and the uid; the access token stays here. */
export interface BindTicketsTable {
  /** The ticket's jti: 128 random bits, hex. */
  id: string;
  provider: string;
  provider_uid: string;
  screen_name: string;
  avatar_url: string | null;
  access_token: string;
  token_expires_at: number;
  redirect_to: string;
  expires_at: number;
  /** sha256 of the binding cookie of the browser that got the ticket: only it may spend it. */
  browser_hash: string | null;
}
export type BindTicketRow = Selectable<BindTicketsTable>;
