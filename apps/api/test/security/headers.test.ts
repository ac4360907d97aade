/**
 * What the API's HTTP layer promises a browser, checked on the built web app it serves
 * (WEB_DIST) as well as on its own routes: a CSP without inline script, nosniff, no framing, a
 * Referrer-Policy that keeps `/weibo?code=` to itself, CORS closed unless configured, and request
 * bodies, URLs and JSON bounded (4xx, never a 500 or a stall). That the built app actually runs
 * under this CSP, and shows a hostile Weibo name as text, is apps/web/e2e's part.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../support/harness.ts';
import { type Instance, startInstance } from '../support/instances.ts';

const ALLOWED_ORIGIN = 'https://app.example.com';
let sim: WeiboSimulator;
let webDist: string;
let api: Instance;
let withCors: Instance;

beforeAll(async () => {
  sim = await startSimulator();
  webDist = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-web-dist-'));
  fs.mkdirSync(path.join(webDist, 'assets'));
  fs.writeFileSync(
    path.join(webDist, 'index.html'),
    '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head><body><div id="app"></div></body></html>',
  );
  fs.writeFileSync(path.join(webDist, 'assets', 'app.js'), 'document.getElementById("app").textContent = "hi";');
  api = await startInstance({ kind: 'sqlite', file: ':memory:' }, sim.url, { webDist });
  withCors = await startInstance({ kind: 'sqlite', file: ':memory:' }, sim.url, { corsOrigins: [ALLOWED_ORIGIN] });
});
afterAll(async () => {
  await api.stop();
  await withCors.stop();
  await sim.close();
  fs.rmSync(webDist, { recursive: true, force: true });
});

/** The CSP as a map of directive → sources. */
function cspOf(response: Response): Map<string, string[]> {
  const header = response.headers.get('content-security-policy') ?? '';
  return new Map(
    header
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

describe('security headers', () => {
  it('serves the web app with a CSP that allows no inline or foreign script, no plugins, no framing', async () => {
    for (const page of ['/', '/login', '/weibo?code=0123456789abcdef&state=abc', '/register']) {
      const response = await fetch(`${api.url}${page}`);
      expect(response.status, page).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = cspOf(response);
      expect(csp.get('default-src')).toEqual(["'self'"]);
      const scripts = csp.get('script-src') ?? csp.get('default-src')!;
      expect(scripts).toEqual(["'self'"]);
      expect(csp.get('script-src-attr')).toEqual(["'none'"]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp.get('base-uri')).toEqual(["'self'"]);
      expect(csp.get('form-action')).toEqual(["'self'"]);
      expect(csp.get('connect-src')).toEqual(["'self'"]);
    }
  });

  it('keeps the /weibo?code= address out of Referer headers and out of shared caches', async () => {
    const response = await fetch(`${api.url}/weibo?code=0123456789abcdef&state=abc`);
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toMatch(/no-cache|no-store/);
  });

  it('sends nosniff and denies framing on every kind of response', async () => {
    const responses = await Promise.all([
      fetch(`${api.url}/`),
      fetch(`${api.url}/assets/app.js`),
      fetch(`${api.url}/api/healthz`),
      fetch(`${api.url}/trpc/weibo.authorizeUrl`),
      fetch(`${api.url}/trpc/auth.me`),
      fetch(`${api.url}/api/nothing-here`),
    ]);
    for (const response of responses) {
      expect(response.headers.get('x-content-type-options'), response.url).toBe('nosniff');
      expect(response.headers.get('x-frame-options'), response.url).toBe('DENY');
      expect(response.headers.get('referrer-policy'), response.url).toBe('no-referrer');
    }
    expect(responses[1]!.headers.get('content-type')).toMatch(/javascript/);
  });
});

describe('CORS', () => {
  const preflight = (base: string, origin: string) =>
    fetch(`${base}/trpc/auth.login`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });

  it('is closed by default: no origin is allowed, not even for a preflight', async () => {
    for (const origin of ['https://evil.example', 'null', ALLOWED_ORIGIN]) {
      const response = await preflight(api.url, origin);
      expect(response.headers.get('access-control-allow-origin'), origin).toBeNull();
      const simple = await fetch(`${api.url}/trpc/weibo.authorizeUrl`, { headers: { origin } });
      expect(simple.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });

  it('refuses the requests another site can send without CORS (form posts, text/plain) before any procedure runs', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await fetch(`${api.url}/trpc/weibo.login`, {
        method: 'POST',
        headers: { 'content-type': type, origin: 'https://evil.example' },
        body: '{"code":"c","state":"s"}',
      });
      if (type.startsWith('multipart/')) {
        // No parser takes multipart under /trpc: Fastify refuses it (415) before the body is read
        // (security/bounds-process.test.ts sends 10 MB of it), answered in tRPC's error shape.
        expect(response.status, type).toBe(415);
      } else {
        // 400 or 415 from tRPC, for the content types it does not read.
        expect([400, 415], type).toContain(response.status);
      }
      expect(((await response.json()) as { error: { data: { reason: string } } }).error.data.reason, type).toBe('INVALID_INPUT');
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('opens to exactly the configured origins', async () => {
    const allowed = await preflight(withCors.url, ALLOWED_ORIGIN);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'http://app.example.com', 'null']) {
      const response = await preflight(withCors.url, origin);
      expect(response.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });
});

describe('request size limits', () => {
  const post = (base: string, route: string, body: string, type = 'application/json') =>
    fetch(`${base}${route}`, { method: 'POST', headers: { 'content-type': type }, body });

  it('refuses bodies over 64 KiB with 413, for JSON and forms alike', async () => {
    const big = JSON.stringify({ account: 'someone', password: 'x'.repeat(70 * 1024) });
    expect((await post(api.url, '/trpc/auth.login', big)).status).toBe(413);
    expect((await post(api.url, '/trpc/auth.login', JSON.stringify({ pad: 'y'.repeat(5 * 1024 * 1024) }))).status).toBe(413);
    expect(
      (await post(api.url, '/api/weibo/revoked', `source=1&uid=2&pad=${'z'.repeat(70 * 1024)}`, 'application/x-www-form-urlencoded'))
        .status,
    ).toBe(413);
    // The server is still there and answering.
    expect((await fetch(`${api.url}/api/healthz`)).status).toBe(200);
  });

  it('answers long URLs, deep JSON and big headers with a 4xx', async () => {
    const responses = [
      await fetch(
        `${api.url}/trpc/weibo.authorizeUrl?input=${encodeURIComponent(JSON.stringify({ redirectTo: `/${'a'.repeat(100_000)}` }))}`,
      ),
      await post(api.url, '/trpc/auth.login', `${'['.repeat(30_000)}${']'.repeat(30_000)}`),
      await post(api.url, '/trpc/auth.login', `{"account":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)},"password":"password-123"}`),
      await fetch(`${api.url}/trpc/auth.me`, { headers: { authorization: `Bearer ${'a'.repeat(15_000)}` } }),
    ];
    for (const response of responses) {
      expect(response.status, response.url).toBeGreaterThanOrEqual(400);
      expect(response.status, response.url).toBeLessThan(500);
    }
    const tooManyHeaders = await fetch(`${api.url}/api/healthz`, {
      headers: { 'x-pad': 'p'.repeat(20_000), 'x-pad-2': 'q'.repeat(20_000) },
    }).catch(() => null);
    if (tooManyHeaders) expect(tooManyHeaders.status).toBe(431);
  });
});
