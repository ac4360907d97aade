/**
 * "Log in with Weibo": the authorize URL, the return with a code, and binding a Weibo account
 * that is not yet bound to an existing or a new local account.
 */
import type { Logger } from 'pino';
import type { AuthorizeUrlInput, BindRequired, SignedIn, WeiboFinishOutput } from '@weibo-login/shared';
import type { AppDeps } from '../../deps.ts';
import type { RequestInfo, VerifiedSession } from '../../types.ts';
import { isMissingParentRow } from '../../db/errors.ts';
import { inTransaction } from '../../db/transaction.ts';
import { AppError } from '../../errors.ts';
import type { ProviderProfile, ProviderToken } from '../../oauth/provider.ts';
import { issueState, type OAuthIntent, requireIntent } from '../../oauth/state.ts';
import { prefersMobilePage } from '../../user-agent.ts';
import { recordEvent } from '../audit/audit.repository.ts';
import { findIdentityWithUser, WEIBO } from '../identities/identities.repository.ts';
import { startSession } from '../sessions/sessions.service.ts';
import { toSignedIn } from '../sessions/signed-in.ts';
import { hashNewPassword } from '../passwords/passwords.service.ts';
import {
  admitNewAccount,
  answerIfAccountDeleted,
  createUser,
  createUserWithMadeName,
  rememberSignedInBrowser,
  requireEnabled,
  verifyCredentials,
  type Credentials,
} from '../users/users.service.ts';
import { claimBindTicket, issueBindTicket, readBindTicket } from './bind-tickets.ts';
import type { TokenCipher } from '../../crypto/token-cipher.ts';
import { bindIdentity, type Grant } from './identity-binding.ts';
import { refreshBoundProfile } from './profile-refresh.ts';
import { connectGrantedWeibo, reauthenticateByWeibo, requireBoundWeibo, requireRecentReauthentication } from './weibo-binding.service.ts';
import { asWeiboReturn, spendStateAndExchange } from './weibo-return.ts';

export async function createAuthorizeUrl(
  deps: AppDeps,
  input: NonNullable<AuthorizeUrlInput>,
  browserId: string,
  session: VerifiedSession | null,
  request: RequestInfo,
): Promise<{ url: string; state: string; intent: OAuthIntent }> {
  const intent = input.intent ?? 'login';
  if (intent !== 'login' && !session) throw new AppError('UNAUTHENTICATED');
  if (intent === 'reauth') await requireBoundWeibo(deps, session!);
  // Connecting needs a recent re-authentication (checked again on the return): asked before the
  // trip, so the web app asks for it here rather than after Weibo.
  if (intent === 'connect') await requireRecentReauthentication(deps, session!);
  const state = await issueState(deps.db, {
    browserId,
    addressKey: request.addressKey,
    intent,
    userId: intent === 'login' ? null : session!.userId,
    redirectTo: input.redirectTo ?? '/',
    now: deps.now(),
  });
  // A connect or a re-authentication must not take whichever Weibo account happens to be signed
  // in in this browser: Weibo is asked for a fresh sign-in.
  const forceLogin = intent !== 'login' || input.forceLogin === true;
  const display = input.display ?? (prefersMobilePage(request.client.userAgent) ? 'mobile' : 'default');
  return { url: deps.weibo.authorizeUrl({ state, forceLogin, display }), state, intent };
}

/** The first edition's return for a sign-in: a `login` state only. */
export function loginWithWeibo(
  deps: AppDeps,
  input: { code: string; state: string },
  request: RequestInfo,
): Promise<SignedIn | BindRequired> {
  return asWeiboReturn(deps, request, async () => {
    const { state, token } = await spendStateAndExchange(deps, input, request, requireIntent('login'));
    return signInOrIssueTicket(deps, token, state.redirectTo, request);
  });
}

/**
 * (2e) The one call of the /weibo page: what happens is decided by the intent kept with the state,
 * so nothing about the trip needs to survive in the browser. A `connect` or `reauth` state needs
 * the session of the account it was issued to (UNAUTHENTICATED without one, STATE_INVALID with
 * another's), checked before the state is spent.
 */
export function finishWeibo(
  deps: AppDeps,
  input: { code: string; state: string },
  request: RequestInfo,
  session: VerifiedSession | null,
): Promise<WeiboFinishOutput> {
  return asWeiboReturn(deps, request, async () => {
    const { state, token } = await spendStateAndExchange(deps, input, request, async (spent) => {
      if (spent.intent === 'login') return;
      if (!session) throw new AppError('UNAUTHENTICATED');
      if (spent.userId !== session.userId) throw new AppError('STATE_INVALID');
      if (spent.intent === 'connect') await requireRecentReauthentication(deps, session);
    });
    if (state.intent === 'login') return signInOrIssueTicket(deps, token, state.redirectTo, request);
    if (state.intent === 'connect') return { status: 'connected', ...(await connectGrantedWeibo(deps, token, session!, request)) };
    return { status: 'reauthenticated', ...(await reauthenticateByWeibo(deps, token, session!, request)) };
  });
}

/** A Weibo uid proven by a token exchange: the bound account is signed in, or a bind ticket issued. */
async function signInOrIssueTicket(
  deps: AppDeps,
  token: ProviderToken,
  redirectTo: string,
  request: RequestInfo,
): Promise<SignedIn | BindRequired> {
  const bound = await findIdentityWithUser(deps.db, WEIBO, token.uid);
  if (!bound) return issueTicket(deps, token, await deps.weibo.fetchProfile(token, request.log), redirectTo, request);
  requireEnabled({ disabled_at: bound.user_disabled_at });
  const profile = await fetchProfileIfAvailable(deps, token, request.log);
  const now = deps.now();
  try {
    return await inTransaction(deps.db, async (trx) => {
      const user = await refreshBoundProfile(trx, deps.tokens, bound, token, profile, now);
      await recordEvent(trx, { kind: 'sign_in_weibo', userId: user.id, ...request.client, at: now });
      return toSignedIn(user, await startSession(trx, deps, user.id, request.client, now, 'weibo'), redirectTo);
    });
  } catch (error) {
    // The account was deleted while Weibo was asked for the profile, and its binding with it
    // (test/account-deletion.test.ts): this uid is now a Weibo user that no account knows.
    if (!isMissingParentRow(error)) throw error;
    return issueTicket(deps, token, profile ?? (await deps.weibo.fetchProfile(token, request.log)), redirectTo, request);
  }
}

/** A Weibo user no account knows: a bind ticket, with which it binds an account or makes one. */
async function issueTicket(
  deps: AppDeps,
  token: ProviderToken,
  profile: ProviderProfile,
  redirectTo: string,
  request: RequestInfo,
): Promise<BindRequired> {
  const ticket = await issueBindTicket(
    deps.db,
    deps.jwtKeys,
    {
      provider: WEIBO,
      token,
      sealedAccessToken: deps.tokens.seal(token.accessToken),
      profile,
      redirectTo,
      browserId: request.browserId!,
    },
    deps.now(),
  );
  return { status: 'bind_required', ticket, profile, redirectTo, canRegister: deps.site.weiboSignup === 'open' };
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
  const pending = await readBindTicket(deps.db, deps.jwtKeys, input.ticket, request.browserId, deps.now());
  const user = await verifyCredentials(deps, input, request);
  requireEnabled(user);
  const now = deps.now();
  return answerIfAccountDeleted(
    inTransaction(deps.db, async (trx) => {
      await claimBindTicket(trx, pending.id);
      await bindIdentity(trx, user, grantOf(pending, deps.tokens), now);
      await recordEvent(trx, { kind: 'weibo_bound', userId: user.id, ...request.client, at: now });
      await recordEvent(trx, { kind: 'sign_in_weibo', userId: user.id, ...request.client, at: now });
      await rememberSignedInBrowser(deps, trx, user.id, request, now);
      return toSignedIn(user, await startSession(trx, deps, user.id, request.client, now, 'weibo'), pending.redirect_to);
    }),
    'BAD_CREDENTIALS',
  );
}

/**
 * A new account from a Weibo ticket (refused with WEIBO_SIGNUP_CLOSED when WEIBO_SIGNUP=closed).
 * (2e) The name and the password are both optional: without a name one is made (`wb_` and 8
 * letters or digits); without a password the account signs in with Weibo only until it sets one.
 * Its display name and picture are Weibo's.
 */
export async function registerWithWeibo(
  deps: AppDeps,
  input: { ticket: string; account?: string | undefined; password?: string | undefined },
  request: RequestInfo,
): Promise<SignedIn> {
  if (deps.site.weiboSignup === 'closed') throw new AppError('WEIBO_SIGNUP_CLOSED');
  const pending = await readBindTicket(deps.db, deps.jwtKeys, input.ticket, request.browserId, deps.now());
  await admitNewAccount(deps, input.account ?? null, request);
  const passwordHash = input.password === undefined ? null : await hashNewPassword(deps.hasher, input.password, request.signal);
  const now = deps.now();
  return inTransaction(deps.db, async (trx) => {
    await claimBindTicket(trx, pending.id);
    const profile = { displayName: pending.screen_name, avatarUrl: pending.avatar_url };
    const user =
      input.account === undefined
        ? await createUserWithMadeName(trx, passwordHash, profile, now)
        : await createUser(trx, input.account, passwordHash, profile, now);
    await bindIdentity(trx, user, grantOf(pending, deps.tokens), now);
    for (const kind of ['account_created', 'weibo_bound', 'sign_in_weibo'] as const) {
      await recordEvent(trx, { kind, userId: user.id, ...request.client, at: now });
    }
    await rememberSignedInBrowser(deps, trx, user.id, request, now);
    return toSignedIn(user, await startSession(trx, deps, user.id, request.client, now, 'weibo'), pending.redirect_to);
  });
}

/** The ticket's grant, its token sealed again with the current key (an older key's seal is not copied on). */
function grantOf(pending: Awaited<ReturnType<typeof readBindTicket>>, tokens: TokenCipher): Grant {
  return {
    provider: pending.provider,
    profile: { uid: pending.provider_uid, screenName: pending.screen_name, avatarUrl: pending.avatar_url },
    sealedAccessToken: tokens.isCurrent(pending.access_token) ? pending.access_token : tokens.seal(tokens.open(pending.access_token)),
    tokenExpiresAt: pending.token_expires_at,
  };
}
