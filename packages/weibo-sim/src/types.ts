/** Shapes shared by the simulator's modules. Plain data only, so state can be cloned and reset. */

/** An app registered on the simulated open platform (我的应用). */
export type SimApp = {
  /** The AppKey; numeric in practice, sent as `client_id`. */
  clientId: string;
  clientSecret: string;
  name: string;
  /** Registered callback pages; `redirect_uri` must equal one of them exactly. */
  redirectUris: string[];
  /** Unaudited (test-level) apps only work for `testUids`; others get 21321 at the API. */
  audited: boolean;
  testUids: string[];
  /** 取消授权回调页: receives `source`, `uid`, `auth_end` when a user revokes. */
  cancelCallbackUrl: string | null;
  /** Overrides the simulator-wide token lifetime for this app (e.g. 157679999 for an owner token). */
  tokenTtlSeconds?: number;
  /** Request quotas at the /2/ API (none when absent); see rate-limits.ts. */
  rateLimits?: RateLimits;
};

/**
 * Per-app quotas, each per rate-limit window (an hour unless `rateLimitWindowMs` says otherwise). Weibo's published
 * test-level figures were 1000 per server IP and 150 per user (reference §7); absent fields are unlimited.
 */
export type RateLimits = {
  /** Requests from one client IP address; beyond it 10022. */
  perIpPerHour?: number;
  /** Requests with the tokens of one user; beyond it 10023. */
  perUserPerHour?: number;
  /** Requests with the tokens of one user to one API (e.g. users/show); beyond it 10024. */
  perUserPerApiPerHour?: number;
};

/** A Weibo account that can sign in on the consent page. */
export type SimUser = {
  /** 10-digit uid as a string (above 2^31, see pitfall P6). */
  uid: string;
  screenName: string;
  gender?: 'm' | 'f' | 'n';
  location?: string;
  description?: string;
  /** In Weibo's `created_at` format, e.g. "Fri Aug 28 00:00:00 +0800 2009". */
  createdAt?: string;
  /** undefined: the simulator's generated SVG; null: no avatar (empty URL fields); string: that URL. */
  avatarUrl?: string | null;
};

export type SimulatorOptions = {
  apps?: SimApp[];
  users?: SimUser[];
  /** Authorization code lifetime; Weibo's is unpublished, so 10 min as RFC 6749 suggests. */
  codeTtlMs?: number;
  /** Access token lifetime; 86400 is the test-app level observed in the wild. */
  tokenTtlSeconds?: number;
  /** Length of the rate-limit windows; an hour, like Weibo's. */
  rateLimitWindowMs?: number;
  /** The simulator's clock (epoch ms), for codes, tokens and rate-limit windows; Date.now by default. */
  now?: () => number;
  logger?: boolean;
};

export type CodeRecord = {
  clientId: string;
  redirectUri: string;
  uid: string;
  scope: string | null;
  display: string | null;
  expiresAt: number;
};

export type TokenRecord = {
  token: string;
  uid: string;
  clientId: string;
  scope: string | null;
  createdAt: number;
  expiresAt: number;
  revoked: boolean;
};

/** What an endpoint answers, before fault injection decides whether it is really sent. */
export type SimResponse = {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
};
