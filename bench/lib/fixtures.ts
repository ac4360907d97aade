/**
 * What the benchmarks need before the clock starts: bound users (registered, then bound through
 * the real Weibo flow), and batches of fresh states and codes, each state minted by the server
 * under test for the browser that will use it.
 */
import { randomBytes } from 'node:crypto';
import { createSimulatorControl } from '@weibo-login/weibo-sim/control';
import type { Pool } from 'undici';
import { STOCK_TRPC_PREFIX } from '../layers/paths.ts';
import type { PreparedRequest } from './load.ts';
import { REDIRECT_URI, WEIBO_CLIENT_ID } from './processes.ts';

const BROWSER_COOKIE = 'wl_browser';
/** Concurrency of the set-up calls: fast, and outside every timed window. */
const SETUP_CONCURRENCY = 16;

/** 198.18.0.0/15, the range set aside for benchmarks (RFC 2544): 131,072 addresses. */
const BENCH_RANGE_SIZE = 2 ** 17;
let addressesHandedOut = 0;

/**
 * A new client address for one simulated person, from 198.18.0.0/15: each bound user gets one for
 * its set-up, each login (the state and the login that spends it) one of its own. The API trusts
 * the bench as its proxy (processes.ts BENCH_PROXY) and counts its per-address bounds by this
 * address, as it counts real people behind a real proxy. After 131,072 the range starts over:
 * an address comes back only a hundred thousand logins later, far outside every bound's window.
 */
export function clientAddress(): string {
  const n = (addressesHandedOut++ % (BENCH_RANGE_SIZE - 1)) + 1; // 198.18.0.0 itself is never used
  return `198.${18 + (n >>> 16)}.${(n >>> 8) & 255}.${n & 255}`;
}

/**
 * The header the proxy adds to name the client. It is one more header on every request, which
 * the product parses (Fastify's trustProxy, @fastify/proxy-addr) to find the address it counts:
 * that is part of what a request costs the product behind a proxy, as it runs in production, so
 * it stays in the timed logins too. The floor (bench/floor) gets the same header and ignores it.
 */
export const fromAddress = (address: string): Record<string, string> => ({ 'x-forwarded-for': address });

/** A new browser's binding cookie (`wl_browser=…`, 32 random bytes as the server makes them):
 * the bench's browsers are made here, so that every server under test, the floor included, is
 * handed the same cookie. */
export const newBrowserCookie = (): string => `${BROWSER_COOKIE}=${randomBytes(32).toString('base64url')}`;

/** A server that can run a Weibo login: the product (tRPC) or the floor (bench/floor). */
export interface LoginTarget {
  origin: string;
  authorizePath: string;
  loginPath: string;
  readState(json: unknown): string;
}

export const productTarget = (origin: string): LoginTarget => ({
  origin,
  authorizePath: '/trpc/weibo.authorizeUrl',
  loginPath: '/trpc/weibo.login',
  readState: (json) => (json as { result: { data: { state: string } } }).result.data.state,
});

/** The product's server, through tRPC's own Fastify plugin (bench/layers, LAYERS=stock). */
export const stockTrpcTarget = (origin: string): LoginTarget => ({
  ...productTarget(origin),
  authorizePath: `${STOCK_TRPC_PREFIX}/weibo.authorizeUrl`,
  loginPath: `${STOCK_TRPC_PREFIX}/weibo.login`,
});

export const floorTarget = (origin: string): LoginTarget => ({
  origin,
  authorizePath: '/authorize',
  loginPath: '/login',
  readState: (json) => (json as { state: string }).state,
});

export interface BoundUser {
  uid: string;
  account: string;
  password: string;
  /** `wl_browser=…`: the browser this user was bound from. */
  cookie: string;
  /** The client address this user was registered and bound from (clientAddress). */
  address: string;
}

export interface Call {
  status: number;
  json: unknown;
  setCookie: string | undefined;
}

export async function call(
  pool: Pool,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Call> {
  const response = await pool.request({
    method,
    path,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  const cookie = response.headers['set-cookie'];
  return { status: response.statusCode, json: text ? JSON.parse(text) : null, setCookie: Array.isArray(cookie) ? cookie[0] : cookie };
}

/** A tRPC call that must succeed; returns `result.data`. */
export async function trpc<T>(
  pool: Pool,
  kind: 'query' | 'mutation',
  procedure: string,
  input?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const path = `/trpc/${procedure}${kind === 'query' && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : ''}`;
  const answer = await call(pool, kind === 'query' ? 'GET' : 'POST', path, kind === 'mutation' ? (input ?? {}) : undefined, headers);
  if (answer.status !== 200) throw new Error(`${procedure}: ${answer.status} ${JSON.stringify(answer.json)}`);
  return (answer.json as { result: { data: T } }).result.data;
}

/** Runs `task(i)` for i < count, `concurrency` at a time. */
export async function inParallel<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** A new account, registered from `address` (one address per person: registrations are bounded
 * per address). */
export async function registerAccount(pool: Pool, password: string, address: string): Promise<{ account: string; token: string }> {
  const account = `bench_${randomBytes(6).toString('hex')}`;
  const signedIn = await trpc<{ session: { token: string } }>(
    pool,
    'mutation',
    'auth.register',
    { account, password },
    fromAddress(address),
  );
  return { account, token: signedIn.session.token };
}

/** `count` Weibo users, each bound to a local account through weibo.login → weibo.bind, each from
 * its own address and browser (every call of one user's set-up from the same). */
export async function createBoundUsers(pool: Pool, simUrl: string, count: number): Promise<BoundUser[]> {
  return inParallel(count, SETUP_CONCURRENCY, async (index) => {
    const password = `bench password ${index}`;
    const address = clientAddress();
    const { uid } = await createSimulatorControl(simUrl).createUser({ screenName: `压测用户${index}` });
    const { account } = await registerAccount(pool, password, address);
    const authorize = await call(pool, 'GET', '/trpc/weibo.authorizeUrl', undefined, fromAddress(address));
    if (authorize.status !== 200) throw new Error(`weibo.authorizeUrl: ${authorize.status} ${JSON.stringify(authorize.json)}`);
    const cookie = authorize.setCookie!.split(';')[0]!;
    if (!cookie.startsWith(`${BROWSER_COOKIE}=`)) throw new Error(`weibo.authorizeUrl set no ${BROWSER_COOKIE} cookie`);
    const state = productTarget('').readState(authorize.json);
    const code = await createSimulatorControl(simUrl).mintCode({ uid, clientId: WEIBO_CLIENT_ID, redirectUri: REDIRECT_URI });
    const headers = { cookie, ...fromAddress(address) };
    const login = await trpc<{ status: string; ticket: string }>(pool, 'mutation', 'weibo.login', { code, state }, headers);
    if (login.status !== 'bind_required') throw new Error(`expected bind_required, got ${login.status}`);
    await trpc(pool, 'mutation', 'weibo.bind', { ticket: login.ticket, account, password }, headers);
    return { uid, account, password, cookie, address };
  });
}

/**
 * `count` ready-to-send logins against `target`, spread over the users, each from a browser and
 * an address of its own: a fresh state minted by the target for that browser, from that address
 * (authorizeUrl), and a fresh code from the simulator; the login then comes from the same browser
 * and address. A user's own browser and address would not do: all of a window's states are minted
 * before its clock starts, and a browser may hold only 10 unspent states (an address 100), and an
 * address may cause 120 calls to Weibo a minute, which a user logging in many times a second
 * passes within a second. The login request itself is the same for the server as before: one
 * binding cookie of the same form, one state, one code (plus the X-Forwarded-For, fromAddress).
 */
export async function prepareLogins(
  pool: Pool,
  target: LoginTarget,
  simUrl: string,
  users: BoundUser[],
  count: number,
): Promise<PreparedRequest[]> {
  const perUser = Math.ceil(count / users.length);
  const codes = await Promise.all(
    users.map((user) =>
      createSimulatorControl(simUrl).mintCodes({ uid: user.uid, clientId: WEIBO_CLIENT_ID, redirectUri: REDIRECT_URI, count: perUser }),
    ),
  );
  return inParallel(count, SETUP_CONCURRENCY * 2, async (index) => {
    const userIndex = index % users.length;
    const browser = { cookie: newBrowserCookie(), ...fromAddress(clientAddress()) };
    const authorize = await call(pool, 'GET', target.authorizePath, undefined, browser);
    if (authorize.status !== 200) throw new Error(`${target.authorizePath}: ${authorize.status} ${JSON.stringify(authorize.json)}`);
    if (authorize.setCookie !== undefined) throw new Error(`${target.authorizePath} replaced the browser's binding cookie`);
    const code = codes[userIndex]![Math.floor(index / users.length)]!;
    return {
      method: 'POST',
      path: target.loginPath,
      headers: { 'content-type': 'application/json', ...browser },
      body: JSON.stringify({ code, state: target.readState(authorize.json) }),
    };
  });
}
