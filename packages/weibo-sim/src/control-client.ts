/**
 * A typed client of the simulator's /__sim/ control API (control-routes.ts), for the tests, the
 * browser suite and the bench: one place that knows its paths and shapes. Plain fetch, and no
 * import of the simulator itself (the `./control` export loads no Fastify). A refused call throws
 * with the simulator's message.
 */
import type { AuthorizePage, AuthorizeRecord } from './authorize-log.ts';
import type { Fault, FaultSpec, WeiboErrorCode } from './faults.ts';
import type { RateLimitCode } from './rate-limits.ts';
import type { CodeSource } from './state.ts';
import type { RateLimits, SimApp, SimUser } from './types.ts';

export type { AuthorizePage, AuthorizeRecord, CodeSource, Fault, FaultSpec, RateLimitCode, RateLimits, SimApp, SimUser, WeiboErrorCode };
export { NO_DISPLAY } from './authorize-log.ts';
export { AUTHORIZE_PATH, DECISION_PATH, MOBILE_AUTHORIZE_PATH, MOBILE_DECISION_PATH } from './paths.ts';

export interface NewSimUser {
  screenName: string;
  /** A uid of one's choosing (digits); a random 10-digit one otherwise. Registering a uid again replaces it. */
  uid?: string;
  /** 'none': a user without an avatar (Weibo's empty URL fields). */
  avatar?: 'none';
  gender?: 'm' | 'f' | 'n';
}

export interface MintCodes {
  uid: string;
  /** The app's first registered one by default; it must be registered. */
  redirectUri?: string;
  /** The first registered app by default. */
  clientId?: string;
  count?: number;
  scope?: string;
  /** The `display` the approval would have carried (e.g. 'mobile'); none by default. */
  display?: string;
}

export type NewSimApp = Pick<SimApp, 'clientId' | 'clientSecret' | 'redirectUris'> &
  Partial<Pick<SimApp, 'name' | 'audited' | 'testUids' | 'cancelCallbackUrl' | 'tokenTtlSeconds' | 'rateLimits'>>;
/** `rateLimits: null` removes the app's quotas. */
export type SimAppChange = Partial<Omit<NewSimApp, 'clientId' | 'rateLimits'>> & {
  addRedirectUris?: string[];
  rateLimits?: RateLimits | null;
};

export interface SimStats {
  /** Requests received, by endpoint (access_token, users_show, get_token_info, get_uid, revokeoauth2, …; authorize counts both pages). */
  requests: Record<string, number>;
  /** Authorize page requests by page, and by their `display` (NO_DISPLAY when absent). */
  authorize: { byPage: Record<AuthorizePage, number>; byDisplay: Record<string, number> };
  /** Codes minted, by the `display` of their approval (NO_DISPLAY when absent) and by who minted them. */
  codes: { issued: number; live: number; byDisplay: Record<string, number>; bySource: Record<CodeSource, number> };
  tokens: { issued: number; live: number };
  faultsApplied: number;
  /** /2/ requests refused by an app's quotas, by code (10022 IP, 10023 user, 10024 user and API). */
  rateLimited: Record<RateLimitCode, number>;
  cancelCallbacks: Record<string, number>;
}

export interface SimulatorControl {
  readonly url: string;
  createUser(user: NewSimUser): Promise<SimUser>;
  updateUser(uid: string, change: { screenName?: string; avatarUrl?: string | null }): Promise<SimUser>;
  users(): Promise<SimUser[]>;
  /** Authorization codes as if the user had consented (Weibo's consent page is not the test's to time). */
  mintCodes(request: MintCodes): Promise<string[]>;
  mintCode(request: Omit<MintCodes, 'count'>): Promise<string>;
  registerApp(app: NewSimApp): Promise<SimApp>;
  updateApp(clientId: string, change: SimAppChange): Promise<SimApp>;
  apps(): Promise<SimApp[]>;
  addFault(fault: FaultSpec): Promise<string>;
  removeFault(id: string): Promise<void>;
  clearFaults(): Promise<void>;
  faults(): Promise<Fault[]>;
  /** Makes the user's tokens expired (or only those of one app); answers how many. */
  expireTokens(request: { uid: string; clientId?: string }): Promise<number>;
  /** Revokes them as the user would at weibo.com (each app's cancel callback is told); answers how many. */
  revokeTokens(request: { uid: string; clientId?: string }): Promise<number>;
  /** Requests to the authorize pages, newest first (the simulator keeps the last 200), optionally one app's. */
  authorizeLog(filter?: { clientId?: string; limit?: number }): Promise<AuthorizeRecord[]>;
  /** The newest authorize request (optionally of one app), or null. */
  lastAuthorize(filter?: { clientId?: string }): Promise<AuthorizeRecord | null>;
  /** Ends the current rate-limit window: every app's quotas start counting from zero. */
  newRateLimitWindow(): Promise<void>;
  stats(): Promise<SimStats>;
  reset(): Promise<void>;
}

function logQuery(filter: { clientId?: string; limit?: number }): string {
  const query = new URLSearchParams();
  if (filter.clientId !== undefined) query.set('clientId', filter.clientId);
  if (filter.limit !== undefined) query.set('limit', String(filter.limit));
  const text = query.toString();
  return text ? `?${text}` : '';
}

export function createSimulatorControl(url: string): SimulatorControl {
  const base = url.replace(/\/+$/, '');
  async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${base}/__sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await response.json().catch(() => null)) as (T & { error?: string }) | null;
    if (!response.ok) throw new Error(`simulator ${method} /__sim${path}: ${response.status} ${answer?.error ?? ''}`.trim());
    return answer as T;
  }
  return {
    url: base,
    createUser: (user) => send('POST', '/users', user),
    updateUser: (uid, change) => send('PATCH', `/users/${encodeURIComponent(uid)}`, change),
    users: async () => (await send<{ users: SimUser[] }>('GET', '/users')).users,
    mintCodes: async (request) => (await send<{ codes: string[] }>('POST', '/codes', request)).codes,
    mintCode: async (request) => (await send<{ codes: string[] }>('POST', '/codes', request)).codes[0]!,
    registerApp: (app) => send('POST', '/apps', app),
    updateApp: (clientId, change) => send('PATCH', `/apps/${encodeURIComponent(clientId)}`, change),
    apps: async () => (await send<{ apps: SimApp[] }>('GET', '/apps')).apps,
    addFault: async (fault) => (await send<{ id: string }>('POST', '/faults', fault)).id,
    removeFault: async (id) => void (await send('DELETE', `/faults/${encodeURIComponent(id)}`)),
    clearFaults: async () => void (await send('DELETE', '/faults')),
    faults: async () => (await send<{ faults: Fault[] }>('GET', '/faults')).faults,
    expireTokens: async (request) => (await send<{ count: number }>('POST', '/tokens/expire', request)).count,
    revokeTokens: async (request) => (await send<{ count: number }>('POST', '/tokens/revoke', request)).count,
    authorizeLog: async (filter = {}) => (await send<{ records: AuthorizeRecord[] }>('GET', `/authorize-log${logQuery(filter)}`)).records,
    lastAuthorize: async (filter = {}) =>
      (await send<{ records: AuthorizeRecord[] }>('GET', `/authorize-log${logQuery({ ...filter, limit: 1 })}`)).records[0] ?? null,
    newRateLimitWindow: async () => void (await send('POST', '/rate-limits/new-window')),
    stats: () => send('GET', '/stats'),
    reset: async () => void (await send('POST', '/reset')),
  };
}
