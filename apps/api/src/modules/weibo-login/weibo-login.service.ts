/**
 * "Log in with Weibo": the authorize URL, the return with a code, and binding a Weibo account
 * that is not yet bound to an existing or a new local account.
 */
import type { Logger } from 'pino';
import type { BindRequired, SignedIn } from '@weibo-login/shared';
import type { AppDeps } from '../../deps.ts';
import type { RequestInfo, VerifiedSession } from '../../types.ts';
import { inTransaction } from '../../db/transaction.ts';
import { AppError } from '../../errors.ts';
import type { ProviderProfile, ProviderToken } from '../../oauth/provider.ts';
import { consumeState, issueState, type OAuthIntent } from '../../oauth/state.ts';
import { recordEvent } from '../audit/audit.repository.ts';
import { findIdentityWithUser, WEIBO } from '../identities/identities.repository.ts';
import { startSession } from '../sessions/sessions.service.ts';
import { toSignedIn } from '../sessions/signed-in.ts';
import { hashNewPassword } from '../passwords/passwords.service.ts';
import { admitNewAccount, createUser, rememberSignedInBrowser, verifyCredentials, type Credentials } from '../users/users.service.ts';
import { claimBindTicket, issueBindTicket, readBindTicket } from './bind-tickets.ts';
import { bindIdentity } from './identity-binding.ts';
import { refreshBoundProfile } from './profile-refresh.ts';

export async function createAuthorizeUrl(
  deps: AppDeps,
  input: { redirectTo?: string | undefined; intent?: OAuthIntent | undefined },
  browserId: string,
  session: VerifiedSession | null,
  addressKey: string,
): Promise<{ url: string; state: string }> {
  const intent = input.intent ?? 'login';
  if (intent === 'connect' && !session) throw new AppError('UNAUTHENTICATED');
  const state = await issueState(deps.db, {
    browserId,
    addressKey,
    intent,
    userId: intent === 'connect' ? session!.userId : null,
    redirectTo: input.redirectTo ?? '/',
    now: deps.now(),
  });
  // A connect must not bind whichever Weibo account happens to be signed in in this browser.
  return { url: deps.weibo.authorizeUrl({ state, forceLogin: intent === 'connect' }), state };
}

export async function loginWithWeibo(
  deps: AppDeps,
  input: { code: string; state: string },
  request: RequestInfo,
): Promise<SignedIn | BindRequired> {
  // A login is two calls to Weibo (the token, the profile), counted against this address and the
  // site before the state is spent, so that a login refused here can be tried again with it.
  const done = await deps.limits.admitWeiboCalls(request.addressKey, 2);
  let redirectTo: string;
  let token: ProviderToken;
  let bound: Awaited<ReturnType<typeof findIdentityWithUser>>;
  let profile: ProviderProfile | null;
  try {
    ({ redirectTo } = await consumeState(deps.db, {
      state: input.state,
      browserId: request.browserId,
      intent: 'login',
      userId: null,
      now: deps.now(),
    }));
    token = await deps.weibo.exchangeCode(input.code, request.log);
    bound = await findIdentityWithUser(deps.db, WEIBO, token.uid);
    if (!bound) {
      const newProfile = await deps.weibo.fetchProfile(token, request.log);
      const ticket = await issueBindTicket(
        deps.db,
        deps.jwtSecret,
        { provider: WEIBO, token, profile: newProfile, redirectTo, browserId: request.browserId! },
        deps.now(),
      );
      return { status: 'bind_required', ticket, profile: newProfile, redirectTo };
    }
    profile = await fetchProfileIfAvailable(deps, token, request.log);
  } finally {
    done();
  }
  const now = deps.now();
  return inTransaction(deps.db, async (trx) => {
    const user = await refreshBoundProfile(trx, bound, token, profile, now);
    await recordEvent(trx, { kind: 'sign_in_weibo', userId: user.id, ...request.client, at: now });
    return toSignedIn(user, await startSession(trx, deps.jwtSecret, user.id, request.client, now), redirectTo);
  });
}

/** A bound user can still sign in when only the profile call fails: the uid is proven by the
 * token exchange, and the profile we have is merely not refreshed this time. */
async function fetchProfileIfAvailable(deps: AppDeps, token: ProviderToken, log: Logger | undefined): Promise<ProviderProfile | null> {
  try {
    return await deps.weibo.fetchProfile(token, log);
  } catch (error) {
    if (error instanceof AppError && error.reason === 'WEIBO_UNAVAILABLE') return null;
    throw error;
  }
}

export async function bindWithPassword(deps: AppDeps, input: { ticket: string } & Credentials, request: RequestInfo): Promise<SignedIn> {
  const pending = await readBindTicket(deps.db, deps.jwtSecret, input.ticket, request.browserId, deps.now());
  const user = await verifyCredentials(deps, input, request);
  const now = deps.now();
  return inTransaction(deps.db, async (trx) => {
    await claimBindTicket(trx, pending.id);
    await bindIdentity(trx, user, grantOf(pending), now);
    await recordEvent(trx, { kind: 'weibo_bound', userId: user.id, ...request.client, at: now });
    await recordEvent(trx, { kind: 'sign_in_weibo', userId: user.id, ...request.client, at: now });
    await rememberSignedInBrowser(deps, trx, user.id, request, now);
    return toSignedIn(user, await startSession(trx, deps.jwtSecret, user.id, request.client, now), pending.redirect_to);
  });
}

export async function registerWithWeibo(deps: AppDeps, input: { ticket: string } & Credentials, request: RequestInfo): Promise<SignedIn> {
  const pending = await readBindTicket(deps.db, deps.jwtSecret, input.ticket, request.browserId, deps.now());
  await admitNewAccount(deps, input.account, request);
  const passwordHash = await hashNewPassword(deps.hasher, input.password, request.signal);
  const now = deps.now();
  return inTransaction(deps.db, async (trx) => {
    await claimBindTicket(trx, pending.id);
    const user = await createUser(
      trx,
      input.account,
      passwordHash,
      { displayName: pending.screen_name, avatarUrl: pending.avatar_url },
      now,
    );
    await bindIdentity(trx, user, grantOf(pending), now);
    for (const kind of ['account_created', 'weibo_bound', 'sign_in_weibo'] as const) {
      await recordEvent(trx, { kind, userId: user.id, ...request.client, at: now });
    }
    await rememberSignedInBrowser(deps, trx, user.id, request, now);
    return toSignedIn(user, await startSession(trx, deps.jwtSecret, user.id, request.client, now), pending.redirect_to);
  });
}

function grantOf(pending: Awaited<ReturnType<typeof readBindTicket>>) {
  return {
    provider: pending.provider,
    profile: { uid: pending.provider_uid, screenName: pending.screen_name, avatarUrl: pending.avatar_url },
    accessToken: pending.access_token,
    tokenExpiresAt: pending.token_expires_at,
  };
}
