/**
 * The OAuth `state`: 256 random bits, bound to the browser that asked for it (through the
 * binding cookie), expiring, accepted once, carrying the intent and, for `connect`, the user.
 * Kept in the database (only hashes), so any API instance can check it.
 */
import type { DbHandle } from '../db/database.ts';
import { prepareQuery } from '../db/prepared.ts';
import { randomToken, sameDigest, sha256Hex } from '../crypto.ts';
import { AppError } from '../errors.ts';
import { OUTSTANDING_STATES_PER_ADDRESS, OUTSTANDING_STATES_PER_BROWSER } from '../limits/bounds.ts';

export const STATE_TTL_MS = 10 * 60 * 1000;

const selectState = prepareQuery((db, id: string) => db.selectFrom('oauth_states').selectAll().where('id', '=', id));
const deleteState = prepareQuery((db, id: string) => db.deleteFrom('oauth_states').where('id', '=', id));
export type OAuthIntent = 'login' | 'connect';

export interface StateRequest {
  browserId: string;
  /** limits/address.ts: outstanding states are bounded per address as well as per browser. */
  addressKey: string;
  intent: OAuthIntent;
  userId: number | null;
  redirectTo: string;
  now: number;
}

/**
 * A new state, unless this browser or this address already holds too many unspent, unexpired
 * ones (each can make us spend a token exchange): then TOO_MANY_ATTEMPTS until the oldest
 * expires. Written first and counted after, so a burst sees itself and stops at the bound.
 */
export async function issueState(db: DbHandle, request: StateRequest): Promise<string> {
  const state = randomToken();
  const id = sha256Hex(state);
  const browserHash = sha256Hex(request.browserId);
  await db
    .insertInto('oauth_states')
    .values({
      id,
      browser_hash: browserHash,
      address_key: request.addressKey,
      intent: request.intent,
      user_id: request.userId,
      redirect_to: request.redirectTo,
      expires_at: request.now + STATE_TTL_MS,
    })
    .execute();
  const [byBrowser, byAddress] = await Promise.all([
    outstanding(db, 'browser_hash', browserHash, request.now),
    outstanding(db, 'address_key', request.addressKey, request.now),
  ]);
  const over = [
    byBrowser.count > OUTSTANDING_STATES_PER_BROWSER ? byBrowser : null,
    byAddress.count > OUTSTANDING_STATES_PER_ADDRESS ? byAddress : null,
  ].filter((o) => o !== null);
  if (over.length === 0) return state;
  await deleteState(db, id);
  const oldestExpiry = Math.min(...over.map((o) => o.oldestExpiry));
  throw new AppError('TOO_MANY_ATTEMPTS', {
    retryAfterSeconds: Math.max(1, Math.ceil((oldestExpiry - request.now) / 1000)),
    limit: 'rate',
  });
}

async function outstanding(db: DbHandle, column: 'browser_hash' | 'address_key', value: string, now: number) {
  const row = await db
    .selectFrom('oauth_states')
    .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min<number | string>('expires_at').as('oldest')])
    .where(column, '=', value)
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  return { count: Number(row.n), oldestExpiry: Number(row.oldest ?? now) };
}

export interface StateCheck {
  state: string;
  browserId: string | null;
  intent: OAuthIntent;
  /** For `connect`: the signed-in user, who must be the one the state was issued to. */
  userId: number | null;
  now: number;
}

/** Accepts a state once, returning where to go afterwards; anything amiss is STATE_INVALID. A
 * state shown without its browser's cookie is not spent, so a stranger cannot burn it. */
export async function consumeState(db: DbHandle, check: StateCheck): Promise<{ redirectTo: string }> {
  const id = sha256Hex(check.state);
  const row = (await selectState(db, id)).rows[0];
  const valid =
    row !== undefined &&
    check.browserId !== null &&
    sameDigest(row.browser_hash, sha256Hex(check.browserId)) &&
    row.expires_at > check.now &&
    row.intent === check.intent &&
    (check.intent === 'login' || (row.user_id !== null && row.user_id === check.userId));
  if (!valid) throw new AppError('STATE_INVALID');
  // The delete settles races: of two requests with one state, only one removes the row.
  const deleted = await deleteState(db, id);
  if (deleted.numAffectedRows !== 1n) throw new AppError('STATE_INVALID');
  return { redirectTo: row.redirect_to };
}
