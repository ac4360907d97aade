/**
 * Withdrawing our app's authorization at Weibo (revokeoauth2) reliably, after an account is
 * deleted or a binding removed: the token goes into an outbox row in the same transaction as the
 * deletion, and is revoked from there, retried with backoff until Weibo answers or the token is
 * past its expiry. Each attempt is claimed with a conditional update of `next_attempt_at`, so one
 * instance makes it (another takes over only once the claim lapses: its holder died).
 */
import type { DbHandle } from '../../db/database.ts';
import type { AppDeps } from '../../deps.ts';
import { randomId } from '../../crypto/random.ts';
import { UnknownDataKey } from '../../crypto/token-cipher.ts';
import { REVOKE_BATCH_ROWS, REVOKE_CLAIM_MS, REVOKE_RETRY_FIRST_MS, REVOKE_RETRY_MAX_MS } from '../../limits/bounds.ts';
import type { WeiboRevocationRow } from './weibo-revocations.table.ts';

/** Inside the caller's transaction: the token is revoked once that commits. A token already past its expiry needs nothing. */
export async function enqueueRevocation(trx: DbHandle, accessToken: string, tokenExpiresAt: number | null, now: number): Promise<boolean> {
  if (tokenExpiresAt !== null && tokenExpiresAt <= now) return false;
  await trx
    .insertInto('weibo_revocations')
    .values({
      id: randomId(),
      access_token: accessToken,
      // A token of unknown expiry is tried for as long as a test-level one lives (a day).
      token_expires_at: tokenExpiresAt ?? now + 24 * 60 * 60 * 1000,
      attempts: 0,
      next_attempt_at: now,
      created_at: now,
    })
    .execute();
  return true;
}

export type RevokeRun = { revoked: number; retried: number; dropped: number };

/** Tries the revokes that are due (at most REVOKE_BATCH_ROWS), each claimed first. */
export async function runDueRevocations(deps: AppDeps): Promise<RevokeRun> {
  const now = deps.now();
  const run: RevokeRun = { revoked: 0, retried: 0, dropped: 0 };
  const due = await deps.db
    .selectFrom('weibo_revocations')
    .selectAll()
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(REVOKE_BATCH_ROWS)
    .execute();
  for (const row of due) {
    if (row.token_expires_at <= now) {
      await deps.db.deleteFrom('weibo_revocations').where('id', '=', row.id).execute();
      deps.log.info({ revocation: row.id, attempts: row.attempts }, 'weibo revoke dropped: the token has expired');
      run.dropped++;
      continue;
    }
    const accessToken = openStoredToken(deps, row.access_token);
    if (accessToken === null) {
      await deps.db.deleteFrom('weibo_revocations').where('id', '=', row.id).execute();
      run.dropped++;
      continue;
    }
    if (!(await claim(deps.db, row, now))) continue;
    const outcome = await deps.weibo.revoke(accessToken);
    if (outcome === 'failed') {
      await deps.db
        .updateTable('weibo_revocations')
        .set({ next_attempt_at: deps.now() + retryDelayMs(row.attempts + 1) })
        .where('id', '=', row.id)
        .execute();
      run.retried++;
    } else {
      await deps.db.deleteFrom('weibo_revocations').where('id', '=', row.id).execute();
      run.revoked++;
    }
  }
  return run;
}

/** Takes the row for this attempt, unless another instance did since it was read. */
async function claim(db: DbHandle, row: WeiboRevocationRow, now: number): Promise<boolean> {
  const result = await db
    .updateTable('weibo_revocations')
    .set({ next_attempt_at: now + REVOKE_CLAIM_MS, attempts: row.attempts + 1 })
    .where('id', '=', row.id)
    .where('next_attempt_at', '=', row.next_attempt_at)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/**
 * A stored token, opened; null (and an error for the operator) when the key that sealed it is no
 * longer configured: the token can never be used again, so nothing waits on it.
 */
export function openStoredToken(deps: AppDeps, stored: string): string | null {
  try {
    return deps.tokens.open(stored);
  } catch (error) {
    if (!(error instanceof UnknownDataKey)) throw error;
    deps.log.error({ dataKeyId: error.keyId }, 'a stored Weibo token cannot be opened: keep its key in DATA_ENCRYPTION_PREVIOUS_KEYS');
    return null;
  }
}

/** Doubling from REVOKE_RETRY_FIRST_MS, at most REVOKE_RETRY_MAX_MS, with ±20 % jitter so that
 * instances and rows spread out. */
export function retryDelayMs(attempts: number): number {
  const base = Math.min(REVOKE_RETRY_FIRST_MS * 2 ** Math.max(0, attempts - 1), REVOKE_RETRY_MAX_MS);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** Starts a run now, off the answer's path (after a delete or an unbind): the person's grant is
 * withdrawn at once when Weibo answers, and later otherwise. */
export function revokeSoon(deps: AppDeps): void {
  runDueRevocations(deps).catch((error: unknown) => deps.log.warn({ err: error }, 'weibo revoke run failed; retried later'));
}
