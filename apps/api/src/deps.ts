import type { Logger } from 'pino';
import type { SigningKeys } from './crypto/jwt.ts';
import type { TokenCipher } from './crypto/token-cipher.ts';
import type { Metrics } from './observability/metrics.ts';
import type { Db } from './db/database.ts';
import type { WorkLimits } from './limits/rate-limits.ts';
import type { StoredHashCost } from './modules/passwords/hash-cost.ts';
import type { PasswordHasher } from './modules/passwords/password-hasher.ts';
import type { RevocationQueue } from './modules/weibo-login/revocation-queue.ts';
import type { OAuthProvider } from './oauth/provider.ts';
import type { SiteConfig } from './types.ts';

/** What the services need, built once at start (app.ts) or per test. */
export interface AppDeps {
  db: Db;
  /** JWT_SECRET signs; it and JWT_PREVIOUS_SECRETS verify (crypto/jwt.ts). */
  jwtKeys: SigningKeys;
  /** Seals and opens the stored Weibo tokens (crypto/token-cipher.ts). */
  tokens: TokenCipher;
  /** Prometheus series (observability/metrics.ts); NO_METRICS without METRICS_PORT. */
  metrics: Metrics;
  weibo: OAuthProvider;
  hasher: PasswordHasher;
  storedHashCost: StoredHashCost;
  /** Rate limits on registrations and on calls to Weibo (limits/rate-limits.ts). */
  limits: WorkLimits;
  /** Weibo's cancel-authorization hints, checked in the background (bounded, de-duplicated). */
  revocations: RevocationQueue;
  /** (2e) What the site shows of itself, and whether Weibo may create accounts (WEIBO_SIGNUP). */
  site: SiteConfig;
  log: Logger;
  /** Epoch ms; tests move it to check expiry without sleeping. */
  now: () => number;
}
