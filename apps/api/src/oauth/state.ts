/**
 * The OAuth `state`: 256 random bits, bound to the browser that asked for it (through the
 * binding cookie), expiring, accepted once, carrying the intent and, for `connect` and `reauth`,
 * the user.
 * Kept in the database (only hashes), so any API instance can check it.
 */
import type { OAuthIntent } from '@weibo-login/shared';
import type { DbHandle } from '../db/database.ts';
import { prepareQuery } from '../db/prepared.ts';
import { randomToken, sameDigest, sha256Hex } from '../crypto/random.ts';
import { AppError } from '../errors.ts';
import { OUTSTANDING_STATES_PER_ADDRESS, OUTSTANDING_STATES_PER_BROWSER } from '../limits/bounds.ts';

export const STATE_TTL_MS = 10 * 60 * 1000;

const selectState = prepareQuery((db, id: string) => db.selectFrom('oauth_states').selectAll().where('id', '=', id));
const deleteState = prepareQuery((db, id: string) => db.deleteFrom('oauth_states').where('id', '=', id));
export type { OAuthIntent };

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
  now: number;
}

/** What a spent state carried. */
export interface SpentState {
  intent: OAuthIntent;
  /** For `connect` and `reauth`: the user it was issued to. */
  userId: number | null;
  redirectTo: string;
}

/**
 * Accepts a state once. Forged, unknown or expired: STATE_INVALID. Genuine and unexpired but shown
 * by another browser than the one it was issued to (its cookie missing or different, as when
 * Weibo's app hands the return to the system browser): BROWSER_MISMATCH, so the page can say what
 * happened. `accept` is asked before the state is spent and throws to refuse it (another intent,
 * another account, no session). A state refused for any of these is not spent: a stranger cannot
 * burn someone's state, and the person can finish in the right browser or session.
 */
export async function consumeState(
  db: DbHandle,
  check: StateCheck,
  accept?: (state: SpentState) => void | Promise<void>,
): Promise<SpentState> {
  const id = sha256Hex(check.state);
  const row = (await selectState(db, id)).rows[0];
  if (row === undefined || row.expires_at <= check.now) throw new AppError('STATE_INVALID');
  if (check.browserId === null || !sameDigest(row.browser_hash, sha256Hex(check.browserId))) throw new AppError('BROWSER_MISMATCH');
  const spent: SpentState = { intent: row.intent as OAuthIntent, userId: row.user_id, redirectTo: row.redirect_to };
  await accept?.(spent);
  // The delete settles races: of two requests with one state, only one removes the row.
  const deleted = await deleteState(db, id);
  if (deleted.numAffectedRows !== 1n) throw new AppError('STATE_INVALID');
  return spent;
}

/** For the first edition's weibo.login and weibo.connect: the state must be of that intent, and a
 * connect state must have been issued to `userId`. */
export function requireIntent(intent: OAuthIntent, userId: number | null = null): (state: SpentState) => void {
  return (state) => {
    if (state.intent !== intent || (intent !== 'login' && (state.userId === null || state.userId !== userId))) {
      throw new AppError('STATE_INVALID');
    }
  };
}
