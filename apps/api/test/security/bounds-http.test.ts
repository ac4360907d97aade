/**
 * Bounds over HTTP against the real server: batches and path lengths, the browser cookie
 * (`__Host-` over https, duplicates), bind tickets bound to their browser, cache and CSP headers.
 * "Without it" above a test says how it was seen to fail without its bound.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BATCH_CALLS } from '../../src/limits/bounds.ts';
import { appRouter } from '../../src/trpc/router.ts';
import { createTestDatabase, DIALECTS } from '../support/databases.ts';
import { startSimulator } from '../support/harness.ts';
import { call } from '../support/http.ts';
import { type Instance, startInstance } from '../support/instances.ts';
import { PASSWORD, hex, newBrowserId, newWeiboUser, mintCode, freshIp } from '../support/bounds.ts';

let weiboForServers: WeiboSimulator;
beforeAll(async () => {
  weiboForServers = await startSimulator();
});
afterAll(async () => {
  await weiboForServers.close();
});

describe.each(DIALECTS)('batches, paths and the browser cookie over HTTP on %s', (dialect) => {
  let api: Instance;
  let drop: () => Promise<void>;
  const countStates = async () =>
    Number(
      (
        await api.deps.db
          .selectFrom('oauth_states')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const batchOf = (procedure: string, calls: number) => Array.from({ length: calls }, () => procedure).join(',');

  beforeAll(async () => {
    const database = await createTestDatabase(dialect);
    drop = database.drop;
    // Behind a proxy on loopback: X-Forwarded-Proto says whether the browser came over https.
    api = await startInstance(database.config, weiboForServers.url, { trustProxy: '127.0.0.1' });
  });
  afterAll(async () => {
    await api.stop();
    await drop();
  });

  // Without it: with maxBatchSize taken out of server.ts the 11 registrations run (207); with
  // maxParamLength back at Fastify's default (100) the batch of 10 is refused (414).
  it('runs a batch of MAX_BATCH_CALLS calls, and refuses one more with a 400 before any of them runs', async () => {
    // The longest procedure path, MAX_BATCH_CALLS times: the route takes a full batch.
    const before = await countStates();
    const full = await fetch(`${api.url}/trpc/${batchOf('weibo.authorizeUrl', MAX_BATCH_CALLS)}?batch=1`);
    expect(full.status).toBe(200);
    const results = (await full.json()) as { result?: { data: { state: string } } }[];
    expect(results).toHaveLength(MAX_BATCH_CALLS);
    for (const result of results) expect(result.result?.data.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await countStates()).toBe(before + MAX_BATCH_CALLS);

    // One call more: a 400, and none of the calls ran (no account was made).
    const countUsers = async () =>
      Number(
        (
          await api.deps.db
            .selectFrom('users')
            .select((eb) => eb.fn.countAll<number | string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const usersBefore = await countUsers();
    const inputs = Object.fromEntries(
      Array.from({ length: MAX_BATCH_CALLS + 1 }, (_, i) => [String(i), { account: `batch_${hex()}`, password: PASSWORD }]),
    );
    const overfull = await fetch(`${api.url}/trpc/${batchOf('auth.register', MAX_BATCH_CALLS + 1)}?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': freshIp() },
      body: JSON.stringify(inputs),
    });
    expect(overfull.status).toBe(400);
    expect(await countUsers()).toBe(usersBefore);
    const queries = await fetch(`${api.url}/trpc/${batchOf('auth.me', MAX_BATCH_CALLS + 1)}?batch=1`);
    expect(queries.status).toBe(400);
    // The same batch one call shorter runs.
    const ten = await fetch(`${api.url}/trpc/${batchOf('auth.me', MAX_BATCH_CALLS)}?batch=1`);
    expect(ten.status).toBe(401);
    expect((await ten.json()) as unknown[]).toHaveLength(MAX_BATCH_CALLS);
  });

  // A guard rather than a bound's test: the route's bound (414) and the batch bound (400) each
  // answer these with a 4xx alone, so taking either out still passes; it fails on any 500.
  it('answers a procedure path longer than the route allows with a 4xx, never a 500', async () => {
    const longest = Math.max(...Object.keys(appRouter._def.procedures).map((p) => p.length));
    const allowed = MAX_BATCH_CALLS * (longest + 1);
    const paths = [
      'a'.repeat(allowed + 1),
      batchOf('weibo.authorizeUrl', MAX_BATCH_CALLS + 1),
      batchOf('weibo.authorizeUrl', 40),
      batchOf('a', Math.floor(allowed / 2)),
      `${'x.'.repeat(2000)}x`,
      batchOf('a', 3000),
      `weibo.${'%2C'.repeat(1000)}`,
    ];
    for (const procedure of paths) {
      for (const method of ['GET', 'POST']) {
        const response = await fetch(`${api.url}/trpc/${procedure}?batch=1`, {
          method,
          ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
        });
        expect(response.status, `${method} ${procedure.slice(0, 40)}… (${procedure.length})`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${method} ${procedure.slice(0, 40)}… (${procedure.length})`).toBeLessThan(500);
        await response.arrayBuffer();
      }
    }
  });

  /** The attributes of a Set-Cookie line, names lower-cased. */
  const cookieOf = (line: string) => {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const at = pair!.indexOf('=');
    return {
      name: pair!.slice(0, at),
      value: pair!.slice(at + 1),
      attributes: new Map(attributes.map((a) => [a.split('=')[0]!.toLowerCase(), a.split('=')[1] ?? ''])),
    };
  };

  // Without it: with SECURE_BROWSER_COOKIE = BROWSER_COOKIE in context.ts, the name check fails.
  it('sets __Host-wl_browser with Path=/, HttpOnly, Secure, SameSite=Lax and no Domain over https', async () => {
    const response = await call<{ state: string }>(api.url, 'weibo.authorizeUrl', undefined, { headers: { 'x-forwarded-proto': 'https' } });
    expect(response.status).toBe(200);
    const lines = response.headers.getSetCookie();
    expect(lines).toHaveLength(1);
    const cookie = cookieOf(lines[0]!);
    expect(cookie.name).toBe('__Host-wl_browser');
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.has('secure')).toBe(true);
    expect(cookie.attributes.get('samesite')?.toLowerCase()).toBe('lax');
    expect(cookie.attributes.has('domain')).toBe(false);

    // The https cookie is what binds the state there: the plain name is not read over https.
    const uid = await newWeiboUser(weiboForServers.url);
    const secure = { 'x-forwarded-proto': 'https' };
    expect(
      (
        await call(
          api.url,
          'weibo.login',
          { code: await mintCode(weiboForServers.url, uid), state: response.data.state },
          { cookie: `wl_browser=${cookie.value}`, headers: secure },
        )
      ).reason,
    ).toBe('BROWSER_MISMATCH');
    const again = await call<{ state: string }>(api.url, 'weibo.authorizeUrl', undefined, {
      cookie: `__Host-wl_browser=${cookie.value}`,
      headers: secure,
    });
    expect(again.headers.getSetCookie()).toEqual([]);
    const login = await call<{ status: string }>(
      api.url,
      'weibo.login',
      { code: await mintCode(weiboForServers.url, uid), state: again.data.state },
      { cookie: `__Host-wl_browser=${cookie.value}`, headers: secure },
    );
    expect(login.data.status).toBe('bind_required');
  });

  // A guard: over plain http the cookie cannot be Secure (nor carry the __Host- prefix).
  it('sets wl_browser without Secure over http', async () => {
    const response = await call(api.url, 'weibo.authorizeUrl');
    const lines = response.headers.getSetCookie();
    expect(lines).toHaveLength(1);
    const cookie = cookieOf(lines[0]!);
    expect(cookie.name).toBe('wl_browser');
    expect(cookie.attributes.has('secure')).toBe(false);
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.has('domain')).toBe(false);
  });

  // Without it: with browserIdOf taking the first value (and ignoring the others), no new cookie
  // is set and the state is accepted.
  it('treats two different wl_browser values as no cookie: a new one is set and the state is refused', async () => {
    const first = await call<{ state: string }>(api.url, 'weibo.authorizeUrl');
    const mine = cookieOf(first.headers.getSetCookie()[0]!).value;
    const planted = newBrowserId();
    for (const both of [`wl_browser=${mine}; wl_browser=${planted}`, `wl_browser=${planted}; wl_browser=${mine}`]) {
      const fresh = await call(api.url, 'weibo.authorizeUrl', undefined, { cookie: both });
      const set = fresh.headers.getSetCookie().map(cookieOf);
      expect(set.map((c) => c.name)).toEqual(['wl_browser']);
      expect([mine, planted]).not.toContain(set[0]!.value);

      const uid = await newWeiboUser(weiboForServers.url);
      const refused = await call(
        api.url,
        'weibo.login',
        { code: await mintCode(weiboForServers.url, uid), state: first.data.state },
        { cookie: both },
      );
      expect(refused.reason).toBe('BROWSER_MISMATCH');
    }
    // The same value twice is one cookie; and the state was not spent by the refusals.
    const uid = await newWeiboUser(weiboForServers.url);
    const login = await call<{ status: string }>(
      api.url,
      'weibo.login',
      { code: await mintCode(weiboForServers.url, uid), state: first.data.state },
      { cookie: `wl_browser=${mine}; wl_browser=${mine}` },
    );
    expect(login.data.status).toBe('bind_required');
  });
});

// ═════════════════════════════════════════════════════════════════════════════════════════════
// Cache and CSP headers
// ═════════════════════════════════════════════════════════════════════════════════════════════

describe('cache and CSP headers', () => {
  let api: Instance;
  let webDist: string;
  beforeAll(async () => {
    webDist = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-bounds-web-'));
    fs.writeFileSync(path.join(webDist, 'index.html'), '<!doctype html><title>app</title><div id="app"></div>');
    api = await startInstance({ kind: 'sqlite', file: ':memory:' }, weiboForServers.url, { webDist });
  });
  afterAll(async () => {
    await api.stop();
    fs.rmSync(webDist, { recursive: true, force: true });
  });

  // Without it: with the onRequest line taken out of server.ts, tRPC's answers have no Cache-Control.
  it('sends Cache-Control: no-store on every tRPC answer', async () => {
    const json = { 'content-type': 'application/json' };
    const responses = [
      await fetch(`${api.url}/trpc/weibo.authorizeUrl`),
      await fetch(`${api.url}/trpc/auth.me`),
      await fetch(`${api.url}/trpc/auth.register`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ account: `cache_${hex()}`, password: PASSWORD }),
      }),
      await fetch(`${api.url}/trpc/auth.login`, { method: 'POST', headers: json, body: '{"account":1}' }),
      await fetch(`${api.url}/trpc/weibo.authorizeUrl,auth.me?batch=1`),
      await fetch(`${api.url}/trpc/no.such.procedure`),
      await fetch(`${api.url}/trpc/auth.login`, { method: 'POST', headers: json, body: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }) }),
    ];
    for (const response of responses) {
      expect(response.headers.get('cache-control'), `${response.url} ${response.status}`).toBe('no-store');
      await response.arrayBuffer();
    }
    expect(responses[2]!.status).toBe(200);
  });

  // Without it: with the shell's header back at no-cache, this fails.
  it('sends the app shell with Cache-Control: no-store', async () => {
    for (const page of ['/', '/login', '/weibo?code=0123456789abcdef&state=abc', '/settings']) {
      const response = await fetch(`${api.url}${page}`);
      expect(response.status, page).toBe(200);
      expect(await response.text()).toContain('<div id="app">');
      expect(response.headers.get('cache-control'), page).toBe('no-store');
    }
  });

  // Without it: with styleSrc and fontSrc taken out, helmet's defaults allow https: for both.
  it('allows styles and fonts only from this origin: no https: in style-src or font-src', async () => {
    for (const page of ['/', '/trpc/auth.me', '/api/healthz']) {
      const response = await fetch(`${api.url}${page}`);
      const csp = new Map(
        (response.headers.get('content-security-policy') ?? '')
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .filter((d) => d[0])
          .map(([name, ...sources]) => [name!, sources]),
      );
      for (const directive of ['style-src', 'font-src']) {
        const sources = csp.get(directive);
        expect(sources, `${page} ${directive}`).toBeDefined();
        expect(sources, `${page} ${directive}`).toContain("'self'");
        for (const foreign of ['https:', 'http:', '*', "'unsafe-inline'"]) expect(sources, `${page} ${directive}`).not.toContain(foreign);
      }
      await response.arrayBuffer();
    }
  });
});

// ═════════════════════════════════════════════════════════════════════════════════════════════
// Service rules, in-process, on each database
// ═════════════════════════════════════════════════════════════════════════════════════════════
