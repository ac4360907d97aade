/**
 * Managing the Weibo binding of a signed-in account: connect from the settings page, a
 * re-authentication by Weibo, unbind, and Weibo's cancel-authorization callback.
 */
import type { Identity } from '@weibo-login/shared';
import type { AppDeps } from '../../deps.ts';
import type { DbHandle } from '../../db/database.ts';
import type { RequestInfo, VerifiedSession } from '../../types.ts';
import { inTransaction } from '../../db/transaction.ts';
import { AppError } from '../../errors.ts';
import type { ProviderToken } from '../../oauth/provider.ts';
import { requireIntent } from '../../oauth/state.ts';
import { currentUser, isReauthenticated, markReauthenticated, requireOwnerProof } from '../account/reauthentication.ts';
import { recordEvent } from '../audit/audit.repository.ts';
import { toIdentityDto } from '../identities/identities.dto.ts';
import {
  deleteIdentityWithToken,
  deleteUserIdentity,
  findIdentityByUid,
  findIdentityWithUser,
  listUserIdentities,
  WEIBO,
} from '../identities/identities.repository.ts';
import { findUserById } from '../users/users.repository.ts';
import { answerIfAccountDeleted } from '../users/users.service.ts';
import { bindIdentity } from './identity-binding.ts';
import { refreshBoundProfile } from './profile-refresh.ts';
import { enqueueRevocation, openStoredToken, revokeSoon } from './revocation-outbox.ts';
import { asWeiboReturn, spendStateAndExchange } from './weibo-return.ts';

/** The first edition's return for a connect: a `connect` state issued to this account only. */
export function connectWeibo(
  deps: AppDeps,
  input: { code: string; state: string },
  session: VerifiedSession,
  request: RequestInfo,
): Promise<{ identity: Identity }> {
  return asWeiboReturn(deps, request, async () => {
    const { token } = await spendStateAndExchange(deps, input, request, async (state) => {
      requireIntent('connect', session.userId)(state);
      await requireRecentReauthentication(deps, session);
    });
    return connectGrantedWeibo(deps, token, session, request);
  });
}

/**
 * (2e) Connecting a Weibo needs a re-authentication of this session within REAUTH_TTL_MS: a stolen
 * session token must not be able to add a permanent way in. Asked before the connect state is
 * spent (REAUTH_REQUIRED, nothing bound, the state still good).
 */
export async function requireRecentReauthentication(deps: AppDeps, session: VerifiedSession): Promise<void> {
  if (!(await isReauthenticated(deps.db, session, deps.now()))) throw new AppError('REAUTH_REQUIRED');
}

/** Binds the Weibo account a token was granted for to the signed-in account (requireRecentReauthentication first). */
export async function connectGrantedWeibo(
  deps: AppDeps,
  token: ProviderToken,
  session: VerifiedSession,
  request: RequestInfo,
): Promise<{ identity: Identity }> {
  const profile = await deps.weibo.fetchProfile(token, request.log);
  const now = deps.now();
  // The account may be deleted between the read below and the binding's insert (MySQL's read sees
  // the transaction's snapshot, the foreign key the deletion); SQLite serialises the writes.
  return answerIfAccountDeleted(
    inTransaction(deps.db, async (trx) => {
      const existing = await findIdentityWithUser(trx, WEIBO, token.uid);
      if (existing?.user_id === session.userId) {
        // Connecting the Weibo account that is already this account's: nothing to bind, only refresh.
        await refreshBoundProfile(trx, deps.tokens, existing, token, profile, now);
        return { identity: toIdentityDto({ ...existing, screen_name: profile.screenName, avatar_url: profile.avatarUrl }) };
      }
      const user = await findUserById(trx, session.userId);
      if (!user) throw new AppError('UNAUTHENTICATED');
      const identity = await bindIdentity(
        trx,
        user,
        { provider: WEIBO, profile, sealedAccessToken: deps.tokens.seal(token.accessToken), tokenExpiresAt: token.expiresAt },
        now,
      );
      await recordEvent(trx, { kind: 'weibo_bound', userId: user.id, ...request.client, at: now });
      return { identity: toIdentityDto(identity) };
    }),
    'UNAUTHENTICATED',
  );
}

/** A `reauth` state is only for an account with Weibo bound (INVALID_INPUT otherwise). */
export async function requireBoundWeibo(deps: AppDeps, session: VerifiedSession): Promise<void> {
  const identities = await listUserIdentities(deps.db, session.userId);
  if (!identities.some((identity) => identity.provider === WEIBO)) {
    throw new AppError('INVALID_INPUT', {}, { message: 'No Weibo account is bound to this account to re-authenticate with.' });
  }
}

/** (2e) A fresh Weibo sign-in of the bound uid marks this session re-authenticated; another Weibo
 * account is WEIBO_MISMATCH, and nothing is marked. */
export async function reauthenticateByWeibo(
  deps: AppDeps,
  token: ProviderToken,
  session: VerifiedSession,
  request: RequestInfo,
): Promise<{ until: string }> {
  const bound = await findIdentityByUid(deps.db, WEIBO, token.uid);
  if (bound?.user_id !== session.userId) throw new AppError('WEIBO_MISMATCH');
  return markReauthenticated(deps.db, session, request, deps.now());
}

/**
 * Removes the account's Weibo binding: with the password in the call or a recent
 * re-authentication (2e). An account without a password would be left with no way in:
 * LAST_SIGN_IN_METHOD.
 */
export async function unbindWeibo(
  deps: AppDeps,
  input: { password?: string | undefined },
  session: VerifiedSession,
  request: RequestInfo,
): Promise<{ ok: true }> {
  const account = await currentUser(deps, session);
  if (account.password_hash === null) throw new AppError('LAST_SIGN_IN_METHOD');
  const user = await requireOwnerProof(deps, session, input.password, request);
  const now = deps.now();
  const revoking = await inTransaction(deps.db, async (trx) => {
    const removal = await removeWeiboBinding(trx, user.id, now);
    if (removal.removed) await recordEvent(trx, { kind: 'weibo_unbound', userId: user.id, ...request.client, at: now });
    return removal.revokeQueued;
  });
  if (revoking) revokeSoon(deps);
  return { ok: true };
}

/**
 * Inside the caller's transaction: removes the account's Weibo binding, and queues in the outbox
 * the revoke of our app's authorization at Weibo (the unbind stands whether or not Weibo answers
 * now). Answers whether there was a binding and whether a revoke was queued; the caller records
 * its event and, once committed, starts the revoke. The owner's unbind and the operator's
 * (`pnpm admin users unbind`) both come here.
 */
export async function removeWeiboBinding(trx: DbHandle, userId: number, now: number): Promise<{ removed: boolean; revokeQueued: boolean }> {
  const identity = await deleteUserIdentity(trx, userId, WEIBO);
  if (!identity) return { removed: false, revokeQueued: false };
  const revokeQueued =
    identity.access_token !== null && (await enqueueRevocation(trx, identity.access_token, identity.token_expires_at, now));
  return { removed: true, revokeQueued };
}

/**
 * Weibo's cancel-authorization callback is unauthenticated, so it is only a hint. The binding is
 * removed only when Weibo itself says the stored token is dead while it should still be alive:
 * a token that merely reached its expiry proves nothing, and a forged call proves nothing.
 */
export async function handleRevocationHint(deps: AppDeps, hint: { source: string; uid: string }): Promise<'removed' | 'kept' | 'ignored'> {
  if (!deps.weibo.isOwnApp(hint.source)) return 'ignored';
  const identity = await findIdentityByUid(deps.db, WEIBO, hint.uid);
  if (!identity?.access_token || (identity.token_expires_at ?? 0) <= deps.now()) return 'ignored';
  // A call to Weibo like any other, so it is counted against the site's budget; with the budget
  // spent the binding stays as it is (the hint is lost, as when the queue is full).
  if (!(await deps.limits.admitSiteWeiboCalls(1))) return 'kept';
  const accessToken = openStoredToken(deps, identity.access_token);
  if (accessToken === null) return 'ignored';
  const status = await deps.weibo.tokenStatus(accessToken);
  if (status !== 'dead') return 'kept';
  const now = deps.now();
  return inTransaction(deps.db, async (trx) => {
    if (!(await deleteIdentityWithToken(trx, identity.id, identity.access_token!))) return 'kept';
    await recordEvent(trx, { kind: 'weibo_revoked', userId: identity.user_id, ip: null, userAgent: null, at: now });
    deps.log.info({ userId: identity.user_id }, 'weibo binding removed after Weibo confirmed the authorization was revoked');
    return 'removed';
  });
}
