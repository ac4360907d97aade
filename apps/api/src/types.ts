/**
 * The types several layers share, in one low file that imports nothing of the app: who is
 * asking (the context, the services and the audit log all carry it), the session a token was
 * verified to, Weibo's configuration (config.ts reads it, oauth/weibo.ts uses it) and the site's.
 */
import type { Logger } from 'pino';

/** The client's address and agent, as stored with sessions and audit events. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

/** Who is asking: the client, the key its address is counted under, its browser-binding cookie. */
export interface RequestInfo {
  client: ClientInfo;
  /** The key the client's address is counted under (limits/address.ts: IPv6 per /64). */
  addressKey: string;
  browserId: string | null;
  /** Aborted when the client goes away before its answer is sent (made on first use). */
  readonly signal: AbortSignal | undefined;
  /** The request's logger (its lines carry the request id), for the services and the Weibo client. */
  log?: Logger;
}

/** A token checked for its signature, its expiry and a live sessions row. */
export interface VerifiedSession {
  userId: number;
  sessionId: string;
}

export interface WeiboConfig {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  authorizeUrl: string;
  /** (2e) Weibo's phone page (open.weibo.cn), used with `display=mobile`. */
  mobileAuthorizeUrl: string;
  apiBase: string;
  timeoutMs: number;
}

/** (2e) What the site shows of itself (site.info) and whether Weibo may create accounts. */
export interface SiteConfig {
  name: string;
  /** The ICP 备案号 for the footer, or null. */
  icp: string | null;
  /** Where the 用户协议 and 隐私政策 are: the web app's built-in pages unless configured. */
  termsUrl: string;
  privacyUrl: string;
  /** `closed`: Weibo only signs in to and binds existing accounts (weibo.register is refused). */
  weiboSignup: 'open' | 'closed';
}

/** The contract's defaults (CONTRACT §2). */
export const DEFAULT_SITE: SiteConfig = {
  name: 'weibo-login',
  icp: null,
  termsUrl: '/terms',
  privacyUrl: '/privacy',
  weiboSignup: 'open',
};
