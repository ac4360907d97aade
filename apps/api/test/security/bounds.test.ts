/**
 * Every bound on the API's work (src/limits/bounds.ts), one test each, and the defects of the same
 * issue (multipart bodies, slow senders, the cache and CSP headers, the browser cookie, new
 * account names, sweeps). Where the defect is in the process (bodies, timeouts, headers, cookies)
 * the test speaks HTTP, over raw sockets where it must, to the real process (node src/main.ts) or
 * to the real server built by app.ts; service rules are driven in-process through callers, on
 * SQLite and MySQL.
 *
 * "Without it" above each test says how the test was seen to fail without its bound: a scratch
 * copy of the repository (never this src/) with the bound's number changed or its line taken
 * out, and this file run there.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEMO_APP, type WeiboSimulator } from '@weibo-login/weibo-sim';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryId, QueryResult, RootOperationNode, TableNode, UnknownRow } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeps } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/client.ts';
import type { Db } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import type { AppDeps } from '../../src/deps.ts';
import { addressKeyOf } from '../../src/limits/address.ts';
import {
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  MAX_BATCH_CALLS,
  OUTSTANDING_STATES_PER_ADDRESS,
  OUTSTANDING_STATES_PER_BROWSER,
  REGISTRATIONS_PER_ADDRESS,
  REGISTRATIONS_TOTAL,
  REQUEST_TIMEOUT_MS,
  REVOCATION_QUEUE_MAX,
  REVOCATION_RECHECK_MS,
  SWEEP_BATCH_ROWS,
  SWEEP_MAX_BATCHES,
  WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS,
  WEIBO_CALLS_PER_ADDRESS,
  WEIBO_CALL_BUDGET_PER_MINUTE_DEFAULT,
} from '../../src/limits/bounds.ts';
import { sweepExpired } from '../../src/maintenance.ts';
import { WEIBO } from '../../src/modules/identities/identities.repository.ts';
import type { PasswordHasher } from '../../src/modules/passwords/password-hasher.ts';
import { accountKeyOf } from '../../src/modules/users/users.repository.ts';
import { createServer, type Server } from '../../src/server.ts';
import type { Context } from '../../src/trpc/context.ts';
import { createCallerFactory } from '../../src/trpc/init.ts';
import { appRouter } from '../../src/trpc/router.ts';
import { createTestDatabase, DIALECTS } from '../support/databases.ts';
import { describeOnEachDatabase, errorOf, type Harness, REDIRECT_URI, reasonOf, startSimulator, TEST_SECRET } from '../support/harness.ts';
import { type ApiProcess, apiEnv, spawnApi } from './support/api-process.ts';
import { Browser, call } from './support/http.ts';
import { type Instance, startInstance } from './support/instances.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const PASSWORD = 'correct horse 1';
const hex = (bytes = 4) => randomBytes(bytes).toString('hex');
const newBrowserId = () => randomBytes(32).toString('base64url');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The simulator's control API (packages/weibo-sim README "Control API"). */
async function sim<T>(simUrl: string, route: string, body?: unknown, method = 'POST'): Promise<T> {
  const init: RequestInit = body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(`${simUrl}/__sim${route}`, init);
  if (!response.ok) throw new Error(`simulator ${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}
type SimStats = { requests: { access_token: number; get_token_info: number; users_show: number } };
const simStats = (simUrl: string) => sim<SimStats>(simUrl, '/stats', undefined, 'GET');
const newWeiboUser = async (simUrl: string) => (await sim<{ uid: string }>(simUrl, '/users', { screenName: `界限${hex(2)}` })).uid;
const mintCode = async (simUrl: string, uid: string) => (await sim<{ codes: string[] }>(simUrl, '/codes', { uid, redirectUri: REDIRECT_URI })).codes[0]!;

/** Waits until `check` holds, polling (the simulator has no event to wait on from here). */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// ── Raw sockets ──────────────────────────────────────────────────────────────────────────────

interface RawClient {
  socket: net.Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves with the ms since the connection opened when the server closes it, or null after `waitMs`. */
  closedWithin(waitMs: number): Promise<number | null>;
  /** Writes one byte per `everyMs` until the socket closes. */
  drip(byte: string, everyMs?: number): void;
}

async function rawClient(port: number): Promise<RawClient> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  await once(socket, 'connect');
  const opened = performance.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - opened)));
  return {
    socket,
    received: () => received,
    closedWithin: (waitMs) => Promise.race([closed, sleep(waitMs).then(() => null)]),
    drip(byte, everyMs = 1000) {
      const timer = setInterval(() => {
        if (socket.destroyed || !socket.writable) clearInterval(timer);
        else socket.write(byte);
      }, everyMs);
      socket.once('close', () => clearInterval(timer));
    },
  };
}

/** Sends `request` as one write and reads the answer until the server closes the connection. */
async function rawExchange(port: number, request: Buffer): Promise<{ status: number; head: string; body: string }> {
  const client = await rawClient(port);
  client.socket.write(request);
  if ((await client.closedWithin(5000)) === null) client.socket.destroy();
  const text = client.received();
  const split = text.indexOf('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0), head: text.slice(0, split), body: text.slice(split + 4) };
}

function rssBytesOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

// ── Callers on deps of the test's own ────────────────────────────────────────────────────────

const createCaller = createCallerFactory(appRouter);

/** A caller on these deps, from this address and browser (null: none yet, one is made on need). */
function callerOn(deps: AppDeps, options: { ip: string; browserId?: string | null }) {
  let browserId = options.browserId === undefined ? newBrowserId() : options.browserId;
  const request: Context['request'] = { client: { ip: options.ip, userAgent: 'vitest' }, addressKey: addressKeyOf(options.ip), browserId, signal: undefined };
  const ctx: Context = {
    deps,
    request,
    authorization: undefined,
    ensureBrowserId: () => (request.browserId = browserId ??= newBrowserId()),
    log: deps.log,
  };
  return createCaller(ctx);
}

/** The hasher, with its calls counted: a test sees whether a bcrypt job was asked for at all. */
function countingHasher(real: PasswordHasher): { hasher: PasswordHasher; calls: { hash: number; verify: number } } {
  const calls = { hash: 0, verify: 0 };
  const hasher = new Proxy(real, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (key === 'hash' || key === 'verify') calls[key]++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { hasher, calls };
}

/** An address of 10.0.0.0/8 no other call of this run uses. */
let nextAddress = 0;
const freshIp = () => {
  const n = nextAddress++;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};

// ═════════════════════════════════════════════════════════════════════════════════════════════
// Bodies and connections: the real process
// ═════════════════════════════════════════════════════════════════════════════════════════════

describe('bodies and connections of the real process (node src/main.ts)', () => {
  let weibo: WeiboSimulator;
  let tmp: string;
  let api: ApiProcess;
  const startApi = (name: string, env: Record<string, string> = {}) =>
    spawnApi(apiEnv(weibo.url, { DATABASE_URL: `sqlite:${path.join(tmp, `${name}.sqlite`)}`, ...env }));

  beforeAll(async () => {
    weibo = await startSimulator();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-bounds-'));
    api = await startApi('main');
  });
  afterAll(async () => {
    await api?.stop('SIGKILL');
    await weibo.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  // Without it: with tRPC's own multipart parser put back in fastify-adapter.ts (the body handed
  // over as a stream), the form is read and refused by the input schema: 400, not 415.
  it('answers multipart/form-data on /trpc/auth.login and /trpc/weibo.login with 415', async () => {
    const form = new FormData();
    for (const [name, value] of Object.entries({ account: 'someone', password: 'password-123', code: 'c', state: 's' })) form.set(name, value);
    const encoded = new Response(form);
    const type = encoded.headers.get('content-type')!;
    const body = Buffer.from(await encoded.arrayBuffer());
    for (const route of ['auth.login', 'weibo.login']) {
      // One write, read to the end: the server may close as soon as it has answered.
      const answer = await rawExchange(
        api.port,
        Buffer.concat([Buffer.from(`POST /trpc/${route} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]),
      );
      expect(answer.status, route).toBe(415);
      // Refused before anything ran: not even a browser cookie was set.
      expect(answer.head, route).not.toMatch(/^set-cookie:/im);
    }
  });

  // Without it: with tRPC's multipart parser put back, tRPC's own maxBodySize answers 413 after
  // 64 KiB (the status check fails); with the parser back and maxBodySize taken out too, nothing
  // is answered while the body is being sent (tRPC reads the whole form) and the process's RSS
  // grew by 25 MB.
  it('refuses a 10 MB multipart body before reading it: 415 while the client is still sending, and no 10 MB more memory', async () => {
    const TOTAL = 10 * 1024 * 1024;
    const CHUNK = 64 * 1024;
    const send = async (route: string, framing: 'length' | 'chunked') => {
      const client = await rawClient(api.port);
      const piece = (bytes: Buffer) => (framing === 'chunked' ? Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]) : bytes);
      const framingHeader = framing === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${TOTAL}`;
      client.socket.write(`POST /trpc/${route} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\n${framingHeader}\r\n\r\n`);
      client.socket.write(piece(Buffer.from('--b\r\nContent-Disposition: form-data; name="password"\r\n\r\n')));
      let sent = 0;
      client.socket.write(piece(Buffer.alloc(CHUNK, 'p')));
      sent += CHUNK;
      // The answer must come while nearly all of the body is still to be sent.
      const answeredAt = Date.now() + 3000;
      while (!client.received().includes('\r\n\r\n') && Date.now() < answeredAt && !client.socket.destroyed) await sleep(10);
      const answer = client.received();
      const sentWhenAnswered = sent;
      // Then the rest, as fast as the server takes it (it may have closed the connection).
      while (sent < TOTAL && !client.socket.destroyed && client.socket.writable) {
        // `once` rejects on the reset that ends a refused body's connection: that is an end too.
        if (!client.socket.write(piece(Buffer.alloc(CHUNK, 'p')))) await Promise.race([once(client.socket, 'drain'), once(client.socket, 'close'), sleep(2000)]).catch(() => undefined);
        sent += CHUNK;
      }
      if (framing === 'chunked' && client.socket.writable) client.socket.write('\r\n--b--\r\n0\r\n\r\n');
      client.socket.end();
      await client.closedWithin(5000);
      client.socket.destroy();
      return { answer, sentWhenAnswered };
    };

    // One round first, so that what is measured is the 10 MB and not the first use of the code path.
    await send('auth.login', 'chunked');
    await sleep(200);
    const before = rssBytesOf(api.child.pid!);
    for (const route of ['auth.login', 'weibo.login']) {
      for (const framing of ['chunked', 'length'] as const) {
        const { answer, sentWhenAnswered } = await send(route, framing);
        expect(answer, `${route}, ${framing}`).toMatch(/^HTTP\/1\.1 415 /);
        expect(sentWhenAnswered).toBeLessThan(TOTAL / 10);
      }
    }
    await sleep(200);
    const grown = rssBytesOf(api.child.pid!) - before;
    expect(grown, `RSS grew by ${(grown / 1024 / 1024).toFixed(1)} MB`).toBeLessThan(TOTAL);
    expect((await fetch(`${api.url}/api/healthz`)).status).toBe(200);
  });

  // The three waits below run side by side: one REQUEST_TIMEOUT_MS for all of them.
  describe.concurrent('slow clients', () => {
    // Without it: with requestTimeout taken out of server.ts (Node's default is 300 s) the socket
    // is still open at REQUEST_TIMEOUT_MS + 5 s.
    it('cuts a body sent one byte a second after REQUEST_TIMEOUT_MS', async ({ expect }) => {
      const client = await rawClient(api.port);
      client.socket.write('POST /trpc/auth.login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
      client.drip('{');
      const closedAfter = await client.closedWithin(REQUEST_TIMEOUT_MS + 5000);
      client.socket.destroy();
      expect(closedAfter, 'still connected').not.toBeNull();
      expect(closedAfter!).toBeGreaterThan(REQUEST_TIMEOUT_MS - 1000);
      expect(closedAfter!).toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
      if (client.received()) expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
    });

    // Without it: with headersTimeout taken out, Node's default (the request timeout, 15 s) cuts
    // it instead, after the 12 s allowed here.
    it('cuts a client that sends only part of its headers after HEADERS_TIMEOUT_MS', async ({ expect }) => {
      const client = await rawClient(api.port);
      client.socket.write('GET /api/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      client.drip('a');
      const closedAfter = await client.closedWithin(HEADERS_TIMEOUT_MS + 5000);
      client.socket.destroy();
      expect(closedAfter, 'still connected').not.toBeNull();
      expect(closedAfter!).toBeGreaterThan(HEADERS_TIMEOUT_MS - 1000);
      expect(closedAfter!).toBeLessThan(HEADERS_TIMEOUT_MS + 2000);
      if (client.received()) expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
    });

    // Without it: with keepAliveTimeout taken out (Fastify's default is 72 s), the idle
    // connection is still open at KEEP_ALIVE_TIMEOUT_MS + 3 s.
    it('closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_MS', async ({ expect }) => {
      const client = await rawClient(api.port);
      client.socket.write('GET /api/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
      await until(async () => client.received().includes('"ok":true'), 'the health answer');
      const answeredAt = performance.now();
      const closedAfter = await client.closedWithin(KEEP_ALIVE_TIMEOUT_MS + 3000);
      client.socket.destroy();
      expect(closedAfter, 'still connected').not.toBeNull();
      const idle = performance.now() - answeredAt;
      expect(idle).toBeGreaterThan(KEEP_ALIVE_TIMEOUT_MS - 1000);
      expect(idle).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + 2000);
    });

    // Fails today (a defect of the stop, see the report): Node's server.close() clears the timer
    // that enforces requestTimeout and headersTimeout, and Fastify's close only ends idle
    // connections, so a client that keeps dripping holds the drain, and the process, for as long
    // as it likes: no exit 20 s after the SIGTERM.
    it('exits within REQUEST_TIMEOUT_MS of a SIGTERM while a slow sender is connected', async ({ expect }) => {
      const doomed = await startApi('sigterm');
      const client = await rawClient(doomed.port);
      client.socket.write('POST /trpc/auth.login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
      client.drip('{');
      await sleep(1000);
      const signalled = performance.now();
      doomed.child.kill('SIGTERM');
      const exit = await Promise.race([doomed.exited, sleep(REQUEST_TIMEOUT_MS + 5000).then(() => null)]);
      const took = performance.now() - signalled;
      client.socket.destroy();
      if (!exit) await doomed.stop('SIGKILL');
      expect(exit, `no exit ${(took / 1000).toFixed(1)} s after SIGTERM`).toEqual({ code: 0, signal: null });
      expect(took).toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
    });
  });

  // Without it: with config.ts ignoring WEIBO_CALL_BUDGET_PER_MINUTE (the default 600 a minute),
  // the third address's login reaches Weibo (400 WEIBO_CODE_INVALID, not 429).
  it('holds all addresses together to WEIBO_CALL_BUDGET_PER_MINUTE (environment)', async () => {
    const budgeted = await startApi('budget', { TRUST_PROXY: '127.0.0.1', WEIBO_CALL_BUDGET_PER_MINUTE: '4' });
    try {
      const before = (await simStats(weibo.url)).requests.access_token;
      const loginFrom = async (ip: string) => {
        const browser = new Browser(budgeted.url, { 'x-forwarded-for': ip });
        const { data } = await browser.call<{ state: string }>('weibo.authorizeUrl');
        return browser.call('weibo.login', { code: `not-a-code-${hex()}`, state: data.state });
      };
      // A login is two calls: 4 a minute is two logins, from any addresses.
      expect((await loginFrom('198.51.100.1')).reason).toBe('WEIBO_CODE_INVALID');
      expect((await loginFrom('198.51.100.2')).reason).toBe('WEIBO_CODE_INVALID');
      const refused = await loginFrom('198.51.100.3');
      expect(refused.status).toBe(429);
      expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
      expect(refused.body.error!.data.retryAfterSeconds).toBeGreaterThan(0);
      expect((await simStats(weibo.url)).requests.access_token - before).toBe(2);
    } finally {
      await budgeted.stop('SIGKILL');
    }
  });
});

// ═════════════════════════════════════════════════════════════════════════════════════════════
// Batches, paths and the browser cookie: the real server over HTTP
// ═════════════════════════════════════════════════════════════════════════════════════════════

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
  const countStates = async () => Number((await api.deps.db.selectFrom('oauth_states').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n);
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
    const countUsers = async () => Number((await api.deps.db.selectFrom('users').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n);
    const usersBefore = await countUsers();
    const inputs = Object.fromEntries(Array.from({ length: MAX_BATCH_CALLS + 1 }, (_, i) => [String(i), { account: `batch_${hex()}`, password: PASSWORD }]));
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
    const paths = ['a'.repeat(allowed + 1), batchOf('weibo.authorizeUrl', MAX_BATCH_CALLS + 1), batchOf('weibo.authorizeUrl', 40), batchOf('a', Math.floor(allowed / 2)), `${'x.'.repeat(2000)}x`, batchOf('a', 3000), `weibo.${'%2C'.repeat(1000)}`];
    for (const procedure of paths) {
      for (const method of ['GET', 'POST']) {
        const response = await fetch(`${api.url}/trpc/${procedure}?batch=1`, { method, ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}) });
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
    return { name: pair!.slice(0, at), value: pair!.slice(at + 1), attributes: new Map(attributes.map((a) => [a.split('=')[0]!.toLowerCase(), a.split('=')[1] ?? ''])) };
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
    expect((await call(api.url, 'weibo.login', { code: await mintCode(weiboForServers.url, uid), state: response.data.state }, { cookie: `wl_browser=${cookie.value}`, headers: secure })).reason).toBe('STATE_INVALID');
    const again = await call<{ state: string }>(api.url, 'weibo.authorizeUrl', undefined, { cookie: `__Host-wl_browser=${cookie.value}`, headers: secure });
    expect(again.headers.getSetCookie()).toEqual([]);
    const login = await call<{ status: string }>(api.url, 'weibo.login', { code: await mintCode(weiboForServers.url, uid), state: again.data.state }, { cookie: `__Host-wl_browser=${cookie.value}`, headers: secure });
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
      const refused = await call(api.url, 'weibo.login', { code: await mintCode(weiboForServers.url, uid), state: first.data.state }, { cookie: both });
      expect(refused.reason).toBe('STATE_INVALID');
    }
    // The same value twice is one cookie; and the state was not spent by the refusals.
    const uid = await newWeiboUser(weiboForServers.url);
    const login = await call<{ status: string }>(api.url, 'weibo.login', { code: await mintCode(weiboForServers.url, uid), state: first.data.state }, { cookie: `wl_browser=${mine}; wl_browser=${mine}` });
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
      await fetch(`${api.url}/trpc/auth.register`, { method: 'POST', headers: json, body: JSON.stringify({ account: `cache_${hex()}`, password: PASSWORD }) }),
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

/** Records every DELETE a Kysely instance runs: its table and how many rows it deleted. */
class DeleteRecorder implements KyselyPlugin {
  readonly deletes: { table: string; rows: number }[] = [];
  readonly #tables = new WeakMap<QueryId, string>();
  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind === 'DeleteQueryNode') this.#tables.set(queryId, (node.from.froms[0] as TableNode).table.identifier.name);
    return node;
  }
  async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const table = this.#tables.get(queryId);
    if (table !== undefined) this.deletes.push({ table, rows: Number(result.numAffectedRows ?? 0n) });
    return result;
  }
}

async function insertInChunks(db: Db, table: 'oauth_states' | 'auth_events', rows: object[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 250) await db.insertInto(table).values(rows.slice(i, i + 250) as never).execute();
}

const expiredStates = (count: number, now: number, tag: string) =>
  Array.from({ length: count }, (_, i) => ({
    id: `${tag}${i.toString(16).padStart(64 - tag.length, '0')}`,
    browser_hash: 'b'.repeat(64),
    address_key: 'sweep',
    intent: 'login',
    user_id: null,
    redirect_to: '/',
    expires_at: now - 1000 - i,
  }));

describeOnEachDatabase('service bounds', (h: Harness) => {
  const account = () => `bd_${hex()}`;

  /** A bind ticket for a fresh Weibo user, in this browser. */
  async function ticketIn(browserId: string): Promise<string> {
    const login = await h.weiboLogin(await h.newWeiboUser(), browserId);
    if (login.status !== 'bind_required') throw new Error('expected bind_required');
    return login.ticket;
  }

  // ── Registrations ─────────────────────────────────────────────────────────────────────────

  // Without it: with the name check moved after the hash in users.service.ts, or in
  // weibo-login.service.ts (each checked alone), the taken names cost 2 hashes.
  it('answers a taken name ACCOUNT_TAKEN without asking for a hash (auth.register and weibo.register)', async () => {
    const taken = await h.registerAccount();
    const { hasher, calls } = countingHasher(h.deps.hasher);
    const deps = { ...h.deps, hasher };
    for (const name of [taken.account, taken.account.toUpperCase()]) {
      expect(await reasonOf(callerOn(deps, { ip: freshIp() }).auth.register({ account: name, password: 'another password 1' }))).toBe('ACCOUNT_TAKEN');
      const browserId = h.newBrowser();
      const ticket = await ticketIn(browserId);
      expect(await reasonOf(callerOn(deps, { ip: freshIp(), browserId }).weibo.register({ ticket, account: name, password: 'another password 1' }))).toBe('ACCOUNT_TAKEN');
    }
    expect(calls.hash).toBe(0);
    // The count sees hashes at all: a free name is one hash.
    await callerOn(deps, { ip: freshIp() }).auth.register({ account: account(), password: PASSWORD });
    expect(calls.hash).toBe(1);
  });

  // Without it: with REGISTRATIONS_PER_ADDRESS's points raised to 1000 where rate-limits.ts uses
  // it, the 11th registration from the address succeeds.
  it('allows REGISTRATIONS_PER_ADDRESS new accounts per address, then TOO_MANY_ATTEMPTS (rate) with a wait; another address still registers', async () => {
    const { hasher, calls } = countingHasher(h.deps.hasher);
    const deps = { ...h.deps, hasher };
    const ip = freshIp();
    for (let i = 0; i < REGISTRATIONS_PER_ADDRESS.points; i++) await callerOn(deps, { ip }).auth.register({ account: account(), password: PASSWORD });
    const hashes = calls.hash;
    const refused = await errorOf(callerOn(deps, { ip }).auth.register({ account: account(), password: PASSWORD }));
    expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(refused.details.limit).toBe('rate');
    expect(refused.details.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.details.retryAfterSeconds).toBeLessThanOrEqual(REGISTRATIONS_PER_ADDRESS.windowSeconds);
    // weibo.register counts against the same allowance.
    const browserId = h.newBrowser();
    const ticket = await ticketIn(browserId);
    const viaWeibo = await errorOf(callerOn(deps, { ip, browserId }).weibo.register({ ticket, account: account(), password: PASSWORD }));
    expect(viaWeibo.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(viaWeibo.details.limit).toBe('rate');
    expect(calls.hash, 'a refused registration costs no hash').toBe(hashes);
    // Another address is not affected, and the ticket still works from there.
    await callerOn(deps, { ip: freshIp(), browserId }).weibo.register({ ticket, account: account(), password: PASSWORD });
    await callerOn(deps, { ip: freshIp() }).auth.register({ account: account(), password: PASSWORD });
  });

  // Without it: with addressKeyOf returning every address as it is, the 11th address of the /64 registers.
  it('counts the IPv6 addresses of one /64 together, and another /64 apart', async () => {
    const prefix = `2001:db8:${hex(2)}:${hex(2)}`;
    for (let i = 0; i < REGISTRATIONS_PER_ADDRESS.points; i++) await h.caller({ ip: `${prefix}::${(i + 1).toString(16)}` }).auth.register({ account: account(), password: PASSWORD });
    const sameBlock = await errorOf(h.caller({ ip: `${prefix}:ffff:ffff:ffff:ffff` }).auth.register({ account: account(), password: PASSWORD }));
    expect(sameBlock.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(sameBlock.details.limit).toBe('rate');
    // The next /64 up has its own allowance.
    const [a, b, c, d] = prefix.split(':');
    const next = `${a}:${b}:${c}:${(parseInt(d!, 16) ^ 1).toString(16)}`;
    await h.caller({ ip: `${next}::1` }).auth.register({ account: account(), password: PASSWORD });
  });

  // Without it: with REGISTRATIONS_TOTAL's points raised where rate-limits.ts uses it, the
  // registration past the total succeeds.
  it('holds all addresses together to REGISTRATIONS_TOTAL', async () => {
    const deps = await createDeps({ db: h.db, jwtSecret: TEST_SECRET, weibo: h.deps.weibo, hasher: h.deps.hasher, log: h.deps.log, now: h.deps.now, weiboCallBudgetPerMinute: WEIBO_CALL_BUDGET_PER_MINUTE_DEFAULT });
    let left = REGISTRATIONS_TOTAL.points;
    const worker = async () => {
      while (left-- > 0) await callerOn(deps, { ip: freshIp() }).auth.register({ account: account(), password: PASSWORD });
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const refused = await errorOf(callerOn(deps, { ip: freshIp() }).auth.register({ account: account(), password: PASSWORD }));
    expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(refused.details.limit).toBe('rate');
    expect(refused.details.retryAfterSeconds).toBeLessThanOrEqual(REGISTRATIONS_TOTAL.windowSeconds);
  });

  // ── Outstanding OAuth states ──────────────────────────────────────────────────────────────

  // Without it: with OUTSTANDING_STATES_PER_BROWSER's comparison in state.ts raised by 5, the 11th state is issued.
  it('holds OUTSTANDING_STATES_PER_BROWSER unspent states per browser; spending one frees a place', async () => {
    const browserId = h.newBrowser();
    const states: string[] = [];
    for (let i = 0; i < OUTSTANDING_STATES_PER_BROWSER; i++) states.push((await h.caller({ browserId }).weibo.authorizeUrl()).state);
    const refused = await errorOf(h.caller({ browserId }).weibo.authorizeUrl());
    expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(refused.details.limit).toBe('rate');
    expect(refused.details.retryAfterSeconds).toBeGreaterThan(0);
    // Another browser, even from the same address, is not affected.
    await h.caller({ browserId: h.newBrowser() }).weibo.authorizeUrl();
    // Spending one (a login, even one that Weibo refuses) frees its place, for one more.
    expect(await reasonOf(h.caller({ browserId }).weibo.login({ code: `not-a-code-${hex()}`, state: states[0]! }))).toBe('WEIBO_CODE_INVALID');
    await h.caller({ browserId }).weibo.authorizeUrl();
    expect((await errorOf(h.caller({ browserId }).weibo.authorizeUrl())).reason).toBe('TOO_MANY_ATTEMPTS');
  });

  // Without it: with OUTSTANDING_STATES_PER_ADDRESS's comparison in state.ts raised by 5, the 101st state is issued.
  it('holds OUTSTANDING_STATES_PER_ADDRESS unspent states per address; spending one frees a place', async () => {
    const ip = freshIp();
    const browsers = Array.from({ length: Math.ceil(OUTSTANDING_STATES_PER_ADDRESS / OUTSTANDING_STATES_PER_BROWSER) }, () => h.newBrowser());
    const issued: { browserId: string; state: string }[] = [];
    for (let i = 0; i < OUTSTANDING_STATES_PER_ADDRESS; i++) {
      const browserId = browsers[i % browsers.length]!;
      issued.push({ browserId, state: (await h.caller({ ip, browserId }).weibo.authorizeUrl()).state });
    }
    const refused = await errorOf(h.caller({ ip, browserId: h.newBrowser() }).weibo.authorizeUrl());
    expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(refused.details.limit).toBe('rate');
    // Another address is not affected.
    await h.caller({ ip: freshIp(), browserId: h.newBrowser() }).weibo.authorizeUrl();
    const spent = issued[0]!;
    expect(await reasonOf(h.caller({ ip, browserId: spent.browserId }).weibo.login({ code: `not-a-code-${hex()}`, state: spent.state }))).toBe('WEIBO_CODE_INVALID');
    await h.caller({ ip, browserId: h.newBrowser() }).weibo.authorizeUrl();
    expect((await errorOf(h.caller({ ip, browserId: h.newBrowser() }).weibo.authorizeUrl())).reason).toBe('TOO_MANY_ATTEMPTS');
  });

  // ── Calls to Weibo ────────────────────────────────────────────────────────────────────────

  /** A login with a code Weibo refuses: admitted, it costs one token exchange at the simulator. */
  async function failedLogin(deps: AppDeps, ip: string) {
    const browserId = h.newBrowser();
    const { state } = await callerOn(deps, { ip, browserId }).weibo.authorizeUrl();
    return errorOf(callerOn(deps, { ip, browserId }).weibo.login({ code: `not-a-code-${hex()}`, state }));
  }
  const exchanges = async () => (await simStats(h.sim.url)).requests.access_token;

  // Without it: with WEIBO_CALLS_PER_ADDRESS's points raised to 1000 where rate-limits.ts uses
  // it, the 61st login reaches Weibo.
  it('refuses the login past WEIBO_CALLS_PER_ADDRESS before Weibo is called', async () => {
    const ip = freshIp();
    const logins = WEIBO_CALLS_PER_ADDRESS.points / 2;
    const before = await exchanges();
    for (let i = 0; i < logins; i++) expect((await failedLogin(h.deps, ip)).reason).toBe('WEIBO_CODE_INVALID');
    expect(await exchanges()).toBe(before + logins);
    const refused = await failedLogin(h.deps, ip);
    expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(refused.details.limit).toBe('rate');
    expect(refused.details.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.details.retryAfterSeconds).toBeLessThanOrEqual(WEIBO_CALLS_PER_ADDRESS.windowSeconds);
    expect(await exchanges(), 'no token exchange for the refused login').toBe(before + logins);
    expect((await failedLogin(h.deps, freshIp())).reason).toBe('WEIBO_CODE_INVALID');
  });

  // Without it: with WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS raised to 100 in rate-limits.ts, the
  // fifth login waits on the hanging Weibo too.
  it('refuses at once the login past WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS while Weibo hangs', async () => {
    const ip = freshIp();
    const before = await exchanges();
    await h.control('/faults', { endpoint: 'access_token', mode: 'hang', times: WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS });
    const hanging = Array.from({ length: WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS }, () => failedLogin(h.deps, ip));
    await until(async () => (await exchanges()) === before + WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS, 'the hanging exchanges');
    const started = performance.now();
    const refused = await failedLogin(h.deps, ip);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(refused.details.limit).toBe('rate');
    expect(await exchanges()).toBe(before + WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS);
    // Another address is not held up by this one's calls.
    expect((await failedLogin(h.deps, freshIp())).reason).toBe('WEIBO_CODE_INVALID');
    for (const error of await Promise.all(hanging)) expect(error.reason).toBe('WEIBO_UNAVAILABLE');
    // Once they ended, the address may call again.
    expect((await failedLogin(h.deps, ip)).reason).toBe('WEIBO_CODE_INVALID');
  });

  // Without it: with createWorkLimits ignoring weiboCallsPerMinute (600), the fourth address's
  // login reaches Weibo.
  it('holds all addresses together to the weiboCallBudgetPerMinute of createDeps', async () => {
    const budget = 6;
    const deps = await createDeps({ db: h.db, jwtSecret: TEST_SECRET, weibo: h.deps.weibo, hasher: h.deps.hasher, log: h.deps.log, now: h.deps.now, weiboCallBudgetPerMinute: budget });
    const before = await exchanges();
    for (let i = 0; i < budget / 2; i++) expect((await failedLogin(deps, freshIp())).reason).toBe('WEIBO_CODE_INVALID');
    const refused = await failedLogin(deps, freshIp());
    expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(refused.details.limit).toBe('rate');
    expect(await exchanges()).toBe(before + budget / 2);
  });

  // ── Bind tickets and the browser ──────────────────────────────────────────────────────────

  // Without it: with readBindTicket's browser check taken out, the other browser binds.
  it('accepts a bind ticket only in the browser that got it', async () => {
    const owner = h.newBrowser();
    const ticket = await ticketIn(owner);
    const existing = await h.registerAccount();
    for (const browserId of [h.newBrowser(), null]) {
      expect(await reasonOf(h.caller({ browserId }).weibo.register({ ticket, account: account(), password: PASSWORD }))).toBe('TICKET_INVALID');
      expect(await reasonOf(h.caller({ browserId }).weibo.bind({ ticket, account: existing.account, password: existing.password }))).toBe('TICKET_INVALID');
    }
    const bound = await h.caller({ browserId: owner }).weibo.bind({ ticket, account: existing.account, password: existing.password });
    expect(bound.user.account).toBe(existing.account);
  });

  // ── New account names ─────────────────────────────────────────────────────────────────────

  // Without it: with newCredentialsInput, or ticketNewCredentialsInput (each checked alone), on
  // accountSchema in packages/shared, 用户名 registers.
  it('refuses non-ASCII names for new accounts (auth.register and weibo.register) with INVALID_INPUT', async () => {
    const browserId = h.newBrowser();
    const ticket = await ticketIn(browserId);
    for (const name of ['用户名', 'Ålice', `Ålice_${hex(2)}`, `用户${hex(2)}`, 'аlice', 'alice\u0301x']) {
      expect(await reasonOf(h.caller().auth.register({ account: name, password: PASSWORD })), name).toBe('INVALID_INPUT');
      expect(await reasonOf(h.caller({ browserId }).weibo.register({ ticket, account: name, password: PASSWORD })), name).toBe('INVALID_INPUT');
    }
    // The ticket is unspent and an ASCII name still registers with it.
    await h.caller({ browserId }).weibo.register({ ticket, account: account(), password: PASSWORD });
  });

  // A guard (no bound): the login schema must keep taking the names accounts were made with.
  it('still signs in an account stored earlier with a non-ASCII name', async () => {
    const now = h.clock.now;
    for (const name of [`用户名${hex(2)}`, `Ålice${hex(2)}`]) {
      const stored = name.normalize('NFC');
      await h.db
        .insertInto('users')
        .values({ account: stored, account_key: accountKeyOf(stored), password_hash: await h.deps.hasher.hash(PASSWORD), display_name: null, avatar_url: null, created_at: now, updated_at: now })
        .execute();
      const signedIn = await h.caller().auth.login({ account: stored, password: PASSWORD });
      expect(signedIn.user.account).toBe(stored);
      // Typed on another keyboard (decomposed), or in other case, it is the same account.
      expect((await h.caller().auth.login({ account: stored.normalize('NFD').toLowerCase(), password: PASSWORD })).user.id).toBe(signedIn.user.id);
    }
  });

  // ── Weibo's cancel-authorization hints ────────────────────────────────────────────────────

  describe('revocation hints over HTTP', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = await createServer(h.deps, { host: '127.0.0.1', port: 0, trustProxy: false, corsOrigins: [], webDist: '/nonexistent' }, pino({ level: 'silent' }));
      base = await server.start();
    });
    afterAll(async () => {
      await server.app.close();
    });

    /** A Weibo user bound to a local account, with a live token at the simulator. */
    async function boundUid(): Promise<string> {
      const uid = await h.newWeiboUser();
      const exchange = await fetch(`${h.sim.url}/oauth2/access_token`, {
        method: 'POST',
        body: new URLSearchParams({ client_id: DEMO_APP.clientId, client_secret: DEMO_APP.clientSecret, grant_type: 'authorization_code', code: await h.mintCode(uid), redirect_uri: REDIRECT_URI }),
      });
      const token = JSON.parse(await exchange.text()) as { access_token: string; expires_in: number };
      const now = h.clock.now;
      const name = `rv_${uid}`;
      const user = await h.db
        .insertInto('users')
        .values({ account: name, account_key: name, password_hash: h.deps.hasher.dummyHash, display_name: null, avatar_url: null, created_at: now, updated_at: now })
        .executeTakeFirstOrThrow();
      await h.db
        .insertInto('identities')
        .values({ user_id: Number(user.insertId), provider: WEIBO, provider_uid: uid, screen_name: name, avatar_url: null, access_token: token.access_token, token_expires_at: now + token.expires_in * 1000, bound_at: now, updated_at: now })
        .execute();
      return uid;
    }
    const hint = async (uid: string) => {
      const started = performance.now();
      const response = await fetch(`${base}/api/weibo/revoked`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `source=${DEMO_APP.clientId}&uid=${uid}&auth_end=1` });
      return { status: response.status, body: await response.text(), ms: performance.now() - started };
    };
    const tokenChecks = async () => (await simStats(h.sim.url)).requests.get_token_info;

    // Without it: with REVOCATION_QUEUE_MAX's check taken out of revocation-queue.ts, all 239
    // hints wait in the queue, and every known uid is checked.
    it('answers 200 hints for random and for known uids alike and at once, and keeps at most REVOCATION_QUEUE_MAX waiting', async () => {
      const known = [];
      for (let i = 0; i < REVOCATION_QUEUE_MAX + 8; i++) known.push(await boundUid());
      const before = await tokenChecks();
      // The first check hangs at Weibo (until WEIBO_TIMEOUT_MS): everything after it has to wait in the queue.
      await h.control('/faults', { endpoint: 'get_token_info', mode: 'hang', times: 1 });
      const first = await hint(known[0]!);
      await until(async () => (await tokenChecks()) === before + 1, 'the first check');
      const hints = [...known.slice(1), ...Array.from({ length: 200 }, () => String(7_000_000_000 + randomBytes(4).readUInt32BE()))].sort(() => Math.random() - 0.5);
      const answers = [first];
      for (let i = 0; i < hints.length; i += 20) answers.push(...(await Promise.all(hints.slice(i, i + 20).map(hint))));
      // Full, and no fuller: the rest were dropped.
      expect(h.deps.revocations.waiting).toBe(REVOCATION_QUEUE_MAX);
      for (const answer of answers) {
        expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: 'ok' });
        expect(answer.ms).toBeLessThan(1000);
      }
      await h.deps.revocations.drained();
      const checks = (await tokenChecks()) - before;
      expect(checks).toBeLessThanOrEqual(REVOCATION_QUEUE_MAX + 1);
      // The bindings were kept: Weibo said (or could not say otherwise) that their tokens live.
      expect(Number((await h.db.selectFrom('identities').select((eb) => eb.fn.countAll<number | string>().as('n')).where('provider_uid', 'in', known).executeTakeFirstOrThrow()).n)).toBe(known.length);
    });

    // Without it: with the comparison with REVOCATION_RECHECK_MS in revocation-queue.ts made
    // against 0, the uid was checked 50 times (44 on MySQL).
    it('checks a uid hinted 50 times once, and again only after REVOCATION_RECHECK_MS', async () => {
      const uid = await boundUid();
      await h.deps.revocations.drained();
      const before = await tokenChecks();
      const answers = await Promise.all(Array.from({ length: 50 }, () => hint(uid)));
      for (const answer of answers) expect(answer.body).toBe('ok');
      await h.deps.revocations.drained();
      expect((await tokenChecks()) - before).toBe(1);
      for (let i = 0; i < 5; i++) await hint(uid);
      await h.deps.revocations.drained();
      expect((await tokenChecks()) - before).toBe(1);
      h.clock.advance(REVOCATION_RECHECK_MS);
      await hint(uid);
      await h.deps.revocations.drained();
      expect((await tokenChecks()) - before).toBe(2);
    });
  });

  // ── Sweeps ────────────────────────────────────────────────────────────────────────────────

  describe('sweeps', () => {
    let db: Db;
    let close: () => Promise<void>;
    beforeAll(async () => {
      // A database of its own: the counts below are exact.
      const testDb = await createTestDatabase(h.dialect);
      const client = openDatabase(testDb.config);
      await migrateToLatest(client.db);
      db = client.db;
      close = async () => {
        await client.close();
        await testDb.drop();
      };
    });
    afterAll(async () => {
      await close();
    });
    const count = async (table: 'oauth_states' | 'auth_events') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n);

    // Without it: with .limit(SWEEP_BATCH_ROWS) taken out of maintenance.ts, one DELETE takes
    // all 2,000 rows of a table; with the events' cut-off at one day instead of
    // auditRetentionDays, the 300 young events go too.
    it('sweeps 2,000 expired states and 2,000 events past AUDIT_RETENTION_DAYS in statements of at most SWEEP_BATCH_ROWS, keeping the young', async () => {
      const { auditRetentionDays } = loadConfig({ AUDIT_RETENTION_DAYS: '30' });
      expect(auditRetentionDays).toBe(30);
      expect(loadConfig({}).auditRetentionDays).toBe(180);
      const now = Date.now();
      const retention = auditRetentionDays * DAY_MS;
      await insertInChunks(db, 'oauth_states', [
        ...expiredStates(2000, now, 'e'),
        ...expiredStates(300, now, 'y').map((row) => ({ ...row, expires_at: now + 60_000 })),
      ]);
      const event = (at: number) => ({ user_id: null, account_key: 'sweep', kind: 'sign_in_password', ip: null, user_agent: null, at });
      await insertInChunks(db, 'auth_events', [
        ...Array.from({ length: 2000 }, (_, i) => event(now - retention - 60_000 - i)),
        // Kept: younger than the retention, if only by a minute.
        ...Array.from({ length: 300 }, (_, i) => event(now - retention + 60_000 + i)),
      ]);

      const recorder = new DeleteRecorder();
      const deleted = await sweepExpired(db.withPlugin(recorder), now, { auditRetentionDays });
      expect(deleted.oauth_states).toBe(2000);
      expect(deleted.auth_events).toBe(2000);
      for (const table of ['oauth_states', 'auth_events']) {
        const statements = recorder.deletes.filter((d) => d.table === table);
        expect(statements.map((d) => d.rows), table).toEqual(Array.from({ length: 2000 / SWEEP_BATCH_ROWS }, () => SWEEP_BATCH_ROWS));
      }
      expect(Math.max(...recorder.deletes.map((d) => d.rows))).toBeLessThanOrEqual(SWEEP_BATCH_ROWS);
      expect(await count('oauth_states')).toBe(300);
      expect(await count('auth_events')).toBe(300);
      expect(Number((await db.selectFrom('auth_events').select((eb) => eb.fn.min('at').as('oldest')).executeTakeFirstOrThrow()).oldest)).toBeGreaterThan(now - retention);
    });

    // Without it: with the batch loop unbounded (SWEEP_MAX_BATCHES raised), one sweep deletes all 10,700.
    it('deletes at most SWEEP_MAX_BATCHES batches per table in one sweep; the next sweep takes the rest', async () => {
      const now = Date.now();
      await db.deleteFrom('oauth_states').execute();
      const many = SWEEP_MAX_BATCHES * SWEEP_BATCH_ROWS + 700;
      await insertInChunks(db, 'oauth_states', expiredStates(many, now, 'm'));
      const first = await sweepExpired(db, now, { auditRetentionDays: 180 });
      expect(first.oauth_states).toBe(SWEEP_MAX_BATCHES * SWEEP_BATCH_ROWS);
      expect(await count('oauth_states')).toBe(700);
      const second = await sweepExpired(db, now, { auditRetentionDays: 180 });
      expect(second.oauth_states).toBe(700);
      expect(await count('oauth_states')).toBe(0);
    });
  });
});
