/**
 * The OAuth `state`: 256 random bits, bound to the browser that asked for it (through the
 * binding cookie), expiring, accepted once, carrying the intent and, for `connect`, the user.
 * Kept in the database (only hashes), so any API instance can check it.
 */
import type { DbHandle } from '../db/database.ts';
import { prepareQuery } from '../db/prepared.ts';
import { randomToken, sameDigest, sha256Hex } from '../crypto.ts';
import { AppError } from '../errors.ts';

export const STATE_TTL_MS = 10 * 60 * 1000;
export type OAuthIntent = 'login' | 'connect';

export interface StateRequest {
  browserId: string;
  intent: OAuthIntent;
  userId: number | null;
  redirectTo: string;
  now: number;
}

export async function issueState(db: DbHandle, request: StateRequest): Promise<string> {
  const state = randomToken();
  await db
    .insertInto('oauth_states')
    .values({
      id: sha256Hex(state),
      browser_hash: sha256Hex(request.browserId),
      intent: request.intent,
      user_id: request.userId,
      redirect_to: request.redirectTo,
      expires_at: request.now + STATE_TTL_MS,
    })
    .execute();
  return state;
}

export interface StateCheck {
  state: string;
  browserId: string | null;
  intent: OAuthIntent;
  /** For `connect`: the signed-in user, who must be the one the state was issued to. */
  userId: number | null;
  now: number;
}

const selectState = prepareQuery((db, id: string) => db.selectFrom('oauth_states').selectAll().where('id', '=', id));
const deleteState = prepareQuery((db, id: string) => db.deleteFrom('oauth_states').where('id', '=', id));

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
