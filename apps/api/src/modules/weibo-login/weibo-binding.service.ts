/**
 * Managing the Weibo binding of a signed-in account: connect from the settings page, unbind,
 * and Weibo's cancel-authorization callback.
 */
import type { Identity } from '@weibo-login/shared';
import type { AppDeps } from '../../deps.ts';
import type { RequestInfo, VerifiedSession } from '../../types.ts';
import { inTransaction } from '../../db/transaction.ts';
import { AppError } from '../../errors.ts';
import { consumeState } from '../../oauth/state.ts';
import { recordEvent } from '../audit/audit.repository.ts';
import { toIdentityDto } from '../identities/identities.dto.ts';
import {
  deleteIdentityWithToken,
  deleteUserIdentity,
  findIdentityByUid,
  findIdentityWithUser,
  WEIBO,
} from '../identities/identities.repository.ts';
import { findUserById } from '../users/users.repository.ts';
import { verifyCredentials } from '../users/users.service.ts';
import { bindIdentity } from './identity-binding.ts';
import { refreshBoundProfile } from './profile-refresh.ts';

export async function connectWeibo(
  deps: AppDeps,
  input: { code: string; state: string },
  session: VerifiedSession,
  request: RequestInfo,
): Promise<{ identity: Identity }> {
  const done = await deps.limits.admitWeiboCalls(request.addressKey, 2);
  let token, profile;
  try {
    await consumeState(deps.db, {
      state: input.state,
      browserId: request.browserId,
      intent: 'connect',
      userId: session.userId,
      now: deps.now(),
    });
    token = await deps.weibo.exchangeCode(input.code, request.log);
    profile = await deps.weibo.fetchProfile(token, request.log);
  } finally {
    done();
  }
  const now = deps.now();
  return inTransaction(deps.db, async (trx) => {
    const existing = await findIdentityWithUser(trx, WEIBO, token.uid);
    if (existing?.user_id === session.userId) {
      // Connecting the Weibo account that is already this account's: nothing to bind, only refresh.
      await refreshBoundProfile(trx, existing, token, profile, now);
      return { identity: toIdentityDto({ ...existing, screen_name: profile.screenName, avatar_url: profile.avatarUrl }) };
    }
    const user = await findUserById(trx, session.userId);
    if (!user) throw new AppError('UNAUTHENTICATED');
    const identity = await bindIdentity(
      trx,
      user,
      { provider: WEIBO, profile, accessToken: token.accessToken, tokenExpiresAt: token.expiresAt },
      now,
    );
    await recordEvent(trx, { kind: 'weibo_bound', userId: user.id, ...request.client, at: now });
    return { identity: toIdentityDto(identity) };
  });
}

export async function unbindWeibo(
  deps: AppDeps,
  input: { password: string },
  session: VerifiedSession,
  request: RequestInfo,
): Promise<{ ok: true }> {
  const user = await findUserById(deps.db, session.userId);
  if (!user) throw new AppError('UNAUTHENTICATED');
  await verifyCredentials(deps, { account: user.account, password: input.password }, request);
  const now = deps.now();
  const removed = await inTransaction(deps.db, async (trx) => {
    const identity = await deleteUserIdentity(trx, user.id, WEIBO);
    if (identity) await recordEvent(trx, { kind: 'weibo_unbound', userId: user.id, ...request.client, at: now });
    return identity;
  });
  // Also withdraw our app's authorization at Weibo; the unbind stands whether or not Weibo answers.
  if (removed?.access_token) {
    const log = request.log ?? deps.log;
    deps.weibo.revoke(removed.access_token, log).catch((error: unknown) => log.warn({ err: error }, 'weibo revoke after unbind failed'));
  }
  return { ok: true };
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
  if (!deps.limits.admitSiteWeiboCalls(1)) return 'kept';
  const status = await deps.weibo.tokenStatus(identity.access_token);
  if (status !== 'dead') return 'kept';
  const now = deps.now();
  return inTransaction(deps.db, async (trx) => {
    if (!(await deleteIdentityWithToken(trx, identity.id, identity.access_token!))) return 'kept';
    await recordEvent(trx, { kind: 'weibo_revoked', userId: identity.user_id, ip: null, userAgent: null, at: now });
    deps.log.info({ userId: identity.user_id }, 'weibo binding removed after Weibo confirmed the authorization was revoked');
    return 'removed';
  });
}
