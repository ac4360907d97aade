/** The API over real HTTP: the typed client, cookies, headers, error shapes, and no 500s. */
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../src/server.ts';
import type { AppRouter } from '../src/trpc/router.ts';
import { DIALECTS } from './support/databases.ts';
import { createHarness, type Harness, startSimulator } from './support/harness.ts';

let sim: WeiboSimulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

/** A client with its own cookie jar, like one browser. */
function browserClient(base: string, token?: () => string | undefined) {
  const jar: { cookie?: string } = {};
  const client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${base}/trpc`,
        headers: () => ({ ...(jar.cookie ? { cookie: jar.cookie } : {}), ...(token?.() ? { authorization: `Bearer ${token()}` } : {}) }),
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          const set = response.headers.getSetCookie();
          if (set.length > 0) jar.cookie = set.map((c) => c.split(';')[0]).join('; ');
          return response;
        },
      }),
    ],
  });
  return { client, jar };
}

const reasonOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    if (error instanceof TRPCClientError) return (error.data as { reason?: string } | undefined)?.reason ?? 'no reason';
    throw error;
  }
};

describe.each(DIALECTS)('HTTP API on %s', (dialect) => {
  let h: Harness;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    h = await createHarness(dialect, sim);
    server = await createServer(
      h.deps,
      { host: '127.0.0.1', port: 0, trustProxy: false, corsOrigins: [], webDist: '/nonexistent' },
      pino({ level: 'silent' }),
    );
    base = await server.start();
  });
  afterAll(async () => {
    await server.app.close();
    await h.close();
  });

  it('walks the whole flow with the typed client and the browser-binding cookie', async () => {
    const uid = await h.newWeiboUser('HTTP 用户');
    let token: string | undefined;
    const { client, jar } = browserClient(base, () => token);
    const first = await client.weibo.authorizeUrl.query({ redirectTo: '/home' });
    expect(jar.cookie).toMatch(/^wl_browser=[A-Za-z0-9_-]{43}$/);
    const login = await client.weibo.login.mutate({ code: await h.mintCode(uid), state: first.state });
    expect(login.status).toBe('bind_required');
    if (login.status !== 'bind_required') return;
    await client.auth.register.mutate({ account: `http_${uid}`, password: 'password-123' });
    const bound = await client.weibo.bind.mutate({ ticket: login.ticket, account: `http_${uid}`, password: 'password-123' });
    expect(bound.redirectTo).toBe('/home');
    const again = await client.weibo.login.mutate({ code: await h.mintCode(uid), state: (await client.weibo.authorizeUrl.query()).state });
    if (again.status !== 'signed_in') throw new Error('expected signed_in');
    token = again.session.token;
    expect((await client.auth.me.query()).identities[0]!.uid).toBe(uid);
    await client.auth.logout.mutate();
    expect(await reasonOf(client.auth.me.query())).toBe('UNAUTHENTICATED');
  });

  it('sets the binding cookie HttpOnly and SameSite=Lax, and refuses a state without it', async () => {
    const response = await fetch(`${base}/trpc/weibo.authorizeUrl`);
    const cookie = response.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const { result } = (await response.json()) as { result: { data: { state: string } } };
    const uid = await h.newWeiboUser();
    const { client } = browserClient(base);
    expect(await reasonOf(client.weibo.login.mutate({ code: await h.mintCode(uid), state: result.data.state }))).toBe('BROWSER_MISMATCH');
  });

  it('answers errors with the tRPC status, a reason and the zod issues', async () => {
    const response = await fetch(`${base}/trpc/auth.register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ account: 'x', password: 'y' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      error: { message: string; data: { reason: string; code: string; issues: { path: string[] }[]; stack?: string } };
    };
    expect(body.error.data).toMatchObject({ reason: 'INVALID_INPUT', code: 'BAD_REQUEST' });
    expect(body.error.data.issues.map((i) => i.path[0]).sort()).toEqual(['account', 'password']);
    expect(body.error.data.stack).toBeUndefined();
  });

  it('never answers 500 to malformed requests', async () => {
    const cases: [string, RequestInit][] = [
      ['/trpc/auth.login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' }],
      ['/trpc/auth.login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'null' }],
      ['/trpc/auth.login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,2,3]' }],
      ['/trpc/auth.login', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'account=a' }],
      ['/trpc/auth.login', { method: 'GET' }],
      ['/trpc/auth.me', { method: 'POST' }],
      ['/trpc/no.such.procedure', { method: 'GET' }],
      ['/trpc/weibo.authorizeUrl?input=%7Bbroken', { method: 'GET' }],
      [
        '/trpc/weibo.login',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code: 'a'.repeat(100_000), state: 'b' }),
        },
      ],
      [
        '/trpc/weibo.bind',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ticket: { $ne: 1 }, account: ['a'], password: 1 }),
        },
      ],
      ['/trpc/auth.me', { method: 'GET', headers: { authorization: 'Bearer ' + 'x'.repeat(5000) } }],
      ['/trpc/auth.me', { method: 'GET', headers: { authorization: 'Basic abc' } }],
      [
        '/trpc/auth.register',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"account":"proto_pollute","password":"password-123","__proto__":{"admin":true}}',
        },
      ],
    ];
    for (const [path, init] of cases) {
      const response = await fetch(`${base}${path}`, init);
      expect(response.status, `${init.method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${init.method} ${path}`).toBeLessThan(500);
    }
  });

  it('serves health, the revocation hint and the security headers', async () => {
    const health = await fetch(`${base}/api/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, db: 'up' });
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('x-frame-options')).toBe('DENY');
    expect(health.headers.get('referrer-policy')).toBe('no-referrer');
    expect(health.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    for (const init of [
      { method: 'GET' },
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'source=1&uid=2&auth_end=3' },
    ]) {
      const query = init.method === 'GET' ? '?source=1&uid=abc' : '';
      const response = await fetch(`${base}/api/weibo/revoked${query}`, init);
      expect(response.status).toBe(200);
    }
  });

  it('keeps CORS closed when no origin is configured', async () => {
    const response = await fetch(`${base}/trpc/weibo.authorizeUrl`, { headers: { origin: 'https://evil.example' } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
