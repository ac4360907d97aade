/**
 * The types several layers share, in one low file that imports nothing of the app: who is
 * asking (the context, the services and the audit log all carry it), the session a token was
 * verified to, and Weibo's configuration (config.ts reads it, oauth/weibo.ts uses it).
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
  apiBase: string;
  timeoutMs: number;
}
