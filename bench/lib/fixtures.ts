/**
 * What the benchmarks need before the clock starts: bound users (registered, then bound through
 * the real Weibo flow), and batches of fresh states and codes, each state minted by the server
 * under test for the browser that will use it.
 */
import { randomBytes } from 'node:crypto';
import { type Pool, request } from 'undici';
import type { PreparedRequest } from './load.ts';
import { REDIRECT_URI } from './processes.ts';

const BROWSER_COOKIE = 'wl_browser';
/** Concurrency of the set-up calls: fast, and outside every timed window. */
const SETUP_CONCURRENCY = 16;

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
  /** `wl_browser=…`: the browser this user signs in from. */
  cookie: string;
}

export interface Call {
  status: number;
  json: unknown;
  setCookie: string | undefined;
}

export async function call(pool: Pool, method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Call> {
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
export async function trpc<T>(pool: Pool, kind: 'query' | 'mutation', procedure: string, input?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const path = `/trpc/${procedure}${kind === 'query' && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : ''}`;
  const answer = await call(pool, kind === 'query' ? 'GET' : 'POST', path, kind === 'mutation' ? (input ?? {}) : undefined, headers);
  if (answer.status !== 200) throw new Error(`${procedure}: ${answer.status} ${JSON.stringify(answer.json)}`);
  return (answer.json as { result: { data: T } }).result.data;
}

export async function simControl<T>(simUrl: string, path: string, body: unknown): Promise<T> {
  const response = await request(`${simUrl}/__sim${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`simulator ${path}: ${response.statusCode} ${text}`);
  return JSON.parse(text) as T;
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

export async function registerAccount(pool: Pool, password: string): Promise<{ account: string; token: string }> {
  const account = `bench_${randomBytes(6).toString('hex')}`;
  const signedIn = await trpc<{ session: { token: string } }>(pool, 'mutation', 'auth.register', { account, password });
  return { account, token: signedIn.session.token };
}

/** `count` Weibo users, each bound to a local account through weibo.login → weibo.bind. */
export async function createBoundUsers(pool: Pool, simUrl: string, count: number): Promise<BoundUser[]> {
  return inParallel(count, SETUP_CONCURRENCY, async (index) => {
    const password = `bench password ${index}`;
    const { uid } = await simControl<{ uid: string }>(simUrl, '/users', { screenName: `压测用户${index}` });
    const { account } = await registerAccount(pool, password);
    const authorize = await call(pool, 'GET', '/trpc/weibo.authorizeUrl');
    const cookie = authorize.setCookie!.split(';')[0]!;
    if (!cookie.startsWith(`${BROWSER_COOKIE}=`)) throw new Error(`weibo.authorizeUrl set no ${BROWSER_COOKIE} cookie`);
    const state = productTarget('').readState(authorize.json);
    const { codes } = await simControl<{ codes: string[] }>(simUrl, '/codes', { uid, redirectUri: REDIRECT_URI, count: 1 });
    const login = await trpc<{ status: string; ticket: string }>(pool, 'mutation', 'weibo.login', { code: codes[0], state }, { cookie });
    if (login.status !== 'bind_required') throw new Error(`expected bind_required, got ${login.status}`);
    await trpc(pool, 'mutation', 'weibo.bind', { ticket: login.ticket, account, password }, { cookie });
    return { uid, account, password, cookie };
  });
}

/**
 * `count` ready-to-send logins against `target`, spread over the users: a fresh state minted by
 * the target for each user's browser, and a fresh code from the simulator.
 */
export async function prepareLogins(pool: Pool, target: LoginTarget, simUrl: string, users: BoundUser[], count: number): Promise<PreparedRequest[]> {
  const perUser = Math.ceil(count / users.length);
  const codes = await Promise.all(
    users.map((user) => simControl<{ codes: string[] }>(simUrl, '/codes', { uid: user.uid, redirectUri: REDIRECT_URI, count: perUser }).then((r) => r.codes)),
  );
  return inParallel(count, SETUP_CONCURRENCY * 2, async (index) => {
    const userIndex = index % users.length;
    const user = users[userIndex]!;
    const authorize = await call(pool, 'GET', target.authorizePath, undefined, { cookie: user.cookie });
    if (authorize.status !== 200) throw new Error(`${target.authorizePath}: ${authorize.status}`);
    const code = codes[userIndex]![Math.floor(index / users.length)]!;
    return {
      method: 'POST',
      path: target.loginPath,
      headers: { 'content-type': 'application/json', cookie: user.cookie },
      body: JSON.stringify({ code, state: target.readState(authorize.json) }),
    };
  });
}
