/**
 * Deleting an account (注销账号, CONTRACT §3 2e; PIPL art. 47). Everything of it goes in one
 * transaction, each table deleted explicitly (no reliance on ON DELETE CASCADE, which TiDB and
 * some setups lack): its Weibo binding, sessions (every token stops working), remembered
 * browsers, pending re-authentication and connect states, password attempts under its name, and
 * the account itself; its events are kept only as anonymous counts (kind and time). The account
 * name and the Weibo uid are free again at once. Weibo's grant is revoked through the outbox,
 * written in the same transaction: a crash before COMMIT leaves the account whole, after it the
 * revoke still happens.
 */
import type { AppDeps } from '../../deps.ts';
import type { DbHandle } from '../../db/database.ts';
import { inTransaction } from '../../db/transaction.ts';
import type { RequestInfo, VerifiedSession } from '../../types.ts';
import { recordEvent } from '../audit/audit.repository.ts';
import type { UserRow } from '../users/users.table.ts';
import { enqueueRevocation, revokeSoon } from '../weibo-login/revocation-outbox.ts';
import { requireOwnerProof } from './reauthentication.ts';

/** account.delete: with the password or a recent re-authentication. */
export async function deleteOwnAccount(
  deps: AppDeps,
  input: { password?: string | undefined },
  session: VerifiedSession,
  request: RequestInfo,
): Promise<{ ok: true }> {
  const user = await requireOwnerProof(deps, session, input.password, request);
  await deleteAccount(deps, user);
  return { ok: true };
}

export interface DeletionOptions {
  /** An operator's reason (`pnpm admin users delete`), kept on the anonymous account_deleted event. */
  reason?: string;
  /** false: the caller runs the outbox itself and waits for it (the operator's tool, which exits
   * afterwards); otherwise the revoke is started in the background. */
  revokeInBackground?: boolean;
}

/** Deletes the account and all that is its (the services' and the operator's tool's one way).
 * Answers whether a revoke at Weibo was queued in the outbox. */
export async function deleteAccount(
  deps: AppDeps,
  user: Pick<UserRow, 'id' | 'account_key'>,
  options: DeletionOptions = {},
): Promise<{ revokeQueued: boolean }> {
  const now = deps.now();
  const revokeQueued = await inTransaction(deps.db, (trx) => deleteAccountRows(trx, user, now, options.reason ?? null));
  if (revokeQueued && options.revokeInBackground !== false) revokeSoon(deps);
  return { revokeQueued };
}

/** The rows, child tables first; answers whether a revoke at Weibo was queued. */
async function deleteAccountRows(
  trx: DbHandle,
  user: Pick<UserRow, 'id' | 'account_key'>,
  now: number,
  reason: string | null,
): Promise<boolean> {
  const identities = await trx
    .selectFrom('identities')
    .select(['access_token', 'token_expires_at'])
    .where('user_id', '=', user.id)
    .execute();
  let revoking = false;
  for (const identity of identities) {
    if (identity.access_token !== null)
      revoking = (await enqueueRevocation(trx, identity.access_token, identity.token_expires_at, now)) || revoking;
  }
  await trx.deleteFrom('identities').where('user_id', '=', user.id).execute();
  await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
  await trx.deleteFrom('known_browsers').where('user_id', '=', user.id).execute();
  await trx.deleteFrom('oauth_states').where('user_id', '=', user.id).execute();
  await trx.deleteFrom('password_attempts').where('account_key', '=', user.account_key).execute();
  await trx
    .updateTable('auth_events')
    .set({ user_id: null, account_key: null, ip: null, user_agent: null, reason: null })
    .where('user_id', '=', user.id)
    .execute();
  await trx.deleteFrom('users').where('id', '=', user.id).execute();
  await recordEvent(trx, { kind: 'account_deleted', userId: null, ip: null, userAgent: null, at: now, reason });
  return revoking;
}
