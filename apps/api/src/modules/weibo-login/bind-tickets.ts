/**
 * Bind tickets: proof that this browser just signed in to Weibo as uid X, good for one bind or
 * register within minutes. The signed token names the uid itself and the id of a row holding the
 * access token and profile; a uid sent by the client is never trusted, and claiming the row
 * inside the bind transaction makes the ticket single use.
 */
import type { DbHandle } from '../../db/database.ts';
import { randomId, sameDigest, sha256Hex } from '../../crypto/random.ts';
import { AppError } from '../../errors.ts';
import type { ProviderProfile, ProviderToken } from '../../oauth/provider.ts';
import { type SigningKeys, signToken, verifyToken } from '../../crypto/jwt.ts';
import type { BindTicketRow } from './bind-tickets.table.ts';

export const TICKET_TTL_MS = 10 * 60 * 1000;

export async function issueBindTicket(
  db: DbHandle,
  keys: SigningKeys,
  grant: {
    provider: string;
    token: ProviderToken;
    /** The token's access token, sealed (deps.tokens.seal): a ticket's row holds no live credential either. */
    sealedAccessToken: string;
    profile: ProviderProfile;
    redirectTo: string;
    browserId: string;
  },
  now: number,
): Promise<string> {
  const id = randomId();
  const expiresAt = now + TICKET_TTL_MS;
  await db
    .insertInto('bind_tickets')
    .values({
      id,
      provider: grant.provider,
      provider_uid: grant.token.uid,
      screen_name: grant.profile.screenName,
      avatar_url: grant.profile.avatarUrl,
      access_token: grant.sealedAccessToken,
      token_expires_at: grant.token.expiresAt,
      redirect_to: grant.redirectTo,
      expires_at: expiresAt,
      browser_hash: sha256Hex(grant.browserId),
    })
    .execute();
  return signToken(keys, 'weibo-bind', { subject: grant.token.uid, jwtid: id }, expiresAt, now);
}

/** The pending bind a ticket stands for, or TICKET_INVALID (forged, tampered, expired, used, or
 * shown by another browser than the one that got it: a leaked ticket is no use elsewhere). */
export async function readBindTicket(
  db: DbHandle,
  keys: SigningKeys,
  ticket: string,
  browserId: string | null,
  now: number,
): Promise<BindTicketRow> {
  const claims = verifyToken(keys, 'weibo-bind', ticket, now);
  if (!claims) throw new AppError('TICKET_INVALID');
  const row = await db
    .selectFrom('bind_tickets')
    .selectAll()
    .where('id', '=', claims.jwtid)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (!row || row.provider_uid !== claims.subject) throw new AppError('TICKET_INVALID');
  // Tickets issued before the browser was recorded (migration 0003) have none to compare.
  if (row.browser_hash !== null && (browserId === null || !sameDigest(row.browser_hash, sha256Hex(browserId))))
    throw new AppError('TICKET_INVALID');
  return row;
}

/** Spends the ticket inside the bind transaction: if the bind fails, the rollback restores it. */
export async function claimBindTicket(trx: DbHandle, ticketId: string): Promise<void> {
  const deleted = await trx.deleteFrom('bind_tickets').where('id', '=', ticketId).executeTakeFirst();
  if (deleted.numDeletedRows !== 1n) throw new AppError('TICKET_INVALID');
}
