import type { Logger } from 'pino';
import type { Db } from './db/database.ts';
import type { WorkLimits } from './limits/rate-limits.ts';
import type { StoredHashCost } from './modules/passwords/hash-cost.ts';
import type { PasswordHasher } from './modules/passwords/password-hasher.ts';
import type { ClientInfo, VerifiedSession } from './modules/sessions/sessions.service.ts';
import type { RevocationQueue } from './modules/weibo-login/revocation-queue.ts';
import type { OAuthProvider } from './oauth/provider.ts';

/** What the services need, built once at start (app.ts) or per test. */
export interface AppDeps {
  db: Db;
  jwtSecret: string;
  weibo: OAuthProvider;
  hasher: PasswordHasher;
  storedHashCost: StoredHashCost;
  /** Rate limits on registrations and on calls to Weibo (limits/rate-limits.ts). */
  limits: WorkLimits;
  /** Weibo's cancel-authorization hints, checked in the background (bounded, de-duplicated). */
  revocations: RevocationQueue;
  log: Logger;
  /** Epoch ms; tests move it to check expiry without sleeping. */
  now: () => number;
}

/** Who is asking: the client's address and agent, and the browser-binding cookie if any. */
export interface RequestInfo {
  client: ClientInfo;
  /** The key the client's address is counted under (limits/address.ts: IPv6 per /64). */
  addressKey: string;
  browserId: string | null;
  /** Aborted when the client goes away before its answer is sent (made on first use). */
  readonly signal: AbortSignal | undefined;
}

export type { ClientInfo, VerifiedSession };
