/**
 * What the login services need from an OAuth provider. Small on purpose: a second provider
 * (QQ, WeChat) would be one more file implementing this. Implementations throw AppError with
 * WEIBO_DENIED / WEIBO_CODE_INVALID / WEIBO_UNAVAILABLE (and, 2e, WEIBO_APP_UNAUDITED,
 * WEIBO_RATE_LIMITED, WEIBO_MISCONFIGURED) and never leak the provider's bodies.
 */
import type { Logger } from 'pino';

export interface ProviderToken {
  /** The provider's stable user id, as a string. */
  uid: string;
  accessToken: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface ProviderProfile {
  uid: string;
  screenName: string;
  avatarUrl: string | null;
}

export type AuthorizeDisplay = 'default' | 'mobile';
export type RevokeOutcome = 'revoked' | 'dead' | 'failed';

/** `unknown`: the provider could not be asked; callers must then change nothing. */
export type TokenStatus = 'alive' | 'dead' | 'unknown';

/**
 * `log`, where a call takes it, is the request's logger (its lines then carry the request id);
 * background work leaves it out and the provider's own is used.
 */
export interface OAuthProvider {
  readonly id: 'weibo';
  /** `forceLogin` asks the provider to show its login again rather than reuse its session;
   * `display: 'mobile'` sends the person to its page for phones. */
  authorizeUrl(input: { state: string; forceLogin: boolean; display: AuthorizeDisplay }): string;
  /** Exchanges a code exactly once: never retried, since a code is single use. */
  exchangeCode(code: string, log?: Logger): Promise<ProviderToken>;
  fetchProfile(token: ProviderToken, log?: Logger): Promise<ProviderProfile>;
  tokenStatus(accessToken: string, log?: Logger): Promise<TokenStatus>;
  /** `revoked`: the provider took it; `dead`: the token was no good anymore (nothing to revoke);
   * `failed`: no answer worth trusting (try again later). Never throws. */
  revoke(accessToken: string, log?: Logger): Promise<RevokeOutcome>;
  /** Whether a cancel-authorization callback's `source` is our app. */
  isOwnApp(source: string): boolean;
  close(): Promise<void>;
}
