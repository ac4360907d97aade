import type { Logger } from 'pino';
import type { Db } from './db/database.ts';
import type { PasswordHasher } from './modules/passwords/password-hasher.ts';
import type { ClientInfo, VerifiedSession } from './modules/sessions/sessions.service.ts';
import type { OAuthProvider } from './oauth/provider.ts';

/** What the services need, built once at start (main.ts) or per test. */
export interface AppDeps {
  db: Db;
  jwtSecret: string;
  weibo: OAuthProvider;
  hasher: PasswordHasher;
  log: Logger;
  /** Epoch ms; tests move it to check expiry without sleeping. */
  now: () => number;
}

/** Who is asking: the client's address and agent, and the browser-binding cookie if any. */
export interface RequestInfo {
  client: ClientInfo;
  browserId: string | null;
}

export type { ClientInfo, VerifiedSession };
