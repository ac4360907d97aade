/**
 * A typed client of the simulator's /__sim/ control API (control-routes.ts), for the tests, the
 * browser suite and the bench: one place that knows its paths and shapes. Plain fetch, and no
 * import of the simulator itself (the `./control` export loads no Fastify). A refused call throws
 * with the simulator's message.
 */
import type { Fault, FaultSpec } from './faults.ts';
import type { SimApp, SimUser } from './types.ts';

export type { SimApp, SimUser };

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
}

export type NewSimApp = Pick<SimApp, 'clientId' | 'clientSecret' | 'redirectUris'> &
  Partial<Pick<SimApp, 'name' | 'audited' | 'testUids' | 'cancelCallbackUrl' | 'tokenTtlSeconds'>>;
export type SimAppChange = Partial<Omit<NewSimApp, 'clientId'>> & { addRedirectUris?: string[] };

export interface SimStats {
  /** Requests received, by endpoint (access_token, users_show, get_token_info, get_uid, revokeoauth2, …). */
  requests: Record<string, number>;
  codes: { issued: number; live: number };
  tokens: { issued: number; live: number };
  faultsApplied: number;
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
  stats(): Promise<SimStats>;
  reset(): Promise<void>;
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
    stats: () => send('GET', '/stats'),
    reset: async () => void (await send('POST', '/reset')),
  };
}
