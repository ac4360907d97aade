/**
 * Our tRPC route (src/trpc/fastify-adapter.ts) answers exactly as tRPC's own Fastify plugin would.
 *
 * The adapter answers plain single calls itself, with tRPC's building blocks, and hands every
 * other request to tRPC's handler; its claim is that nobody can tell. So two copies of the real
 * server (createServer: same cookie, formbody, CORS, security headers, body limit) are started
 * on one database and one Weibo simulator, differing in a single line: /trpc is served by
 * `registerTrpc` in one and by tRPC's stock `fastifyTRPCPlugin` in the other (the server as it
 * was before the adapter). Every request below is sent, byte for byte, to both; the status, the
 * headers, the JSON body and the onError calls must be the same. Random values (OAuth states,
 * session tokens, the binding cookie) are compared by shape. The framing is not compared: our
 * route sends a JSON answer whole with a content-length, where tRPC's plugin streams it in chunks
 * (transfer-encoding: chunked); a client reads the same bytes.
 *
 * The comparison means something only if the adapter really took its own path for plain calls:
 * tRPC's handler passes `info` to createContext and the fast path does not, so each case also
 * says which path it expects and the recorded createContext calls must show it.
 */
import http from 'node:http';
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer, type Server } from '../src/server.ts';
import { createHarness, type Harness, startSimulator } from './support/harness.ts';

type Side = 'adapter' | 'stock';
interface Recorded {
  /** One entry per createContext call: whether tRPC's `info` was among its options. */
  contextHadInfo: boolean[];
  errors: { code: string; path: string | undefined }[];
}

const recorded = vi.hoisted(() => ({
  /** Which route the next createServer gets. */
  serveNextWith: 'adapter' as Side,
  adapter: { contextHadInfo: [], errors: [] } as Recorded,
  stock: { contextHadInfo: [], errors: [] } as Recorded,
}));

// createServer calls registerTrpc once: give it recording options, and on the stock side
// register tRPC's plugin with them instead, so both routes get the very same router and context.
vi.mock(import('../src/trpc/fastify-adapter.ts'), async (importOriginal) => {
  const adapter = await importOriginal();
  const { fastifyTRPCPlugin } = await import('@trpc/server/adapters/fastify');
  const registerTrpc: typeof adapter.registerTrpc = async (app, prefix, options) => {
    const side = recorded.serveNextWith;
    const recording: typeof options = {
      router: options.router,
      maxBatchSize: options.maxBatchSize,
      maxBodySize: options.maxBodySize,
      createContext(contextOptions) {
        recorded[side].contextHadInfo.push('info' in contextOptions);
        return options.createContext(contextOptions);
      },
      onError(errorOptions) {
        recorded[side].errors.push({ code: errorOptions.error.code, path: errorOptions.path });
        options.onError?.(errorOptions);
      },
    };
    if (side === 'adapter') return adapter.registerTrpc(app, prefix, recording);
    await app.register(fastifyTRPCPlugin, { prefix, trpcOptions: recording });
  };
  return { ...adapter, registerTrpc };
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

interface Sent {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Sends exactly these bytes (node:http: fetch would re-encode the URL and drop a `#`). */
function send(base: string, target: string, sent: Sent = {}): Promise<Answer> {
  const { hostname, port } = new URL(base);
  const method = sent.method ?? 'GET';
  const headers = {
    ...sent.headers,
    ...(method === 'GET' || method === 'HEAD' ? {} : { 'content-length': String(Buffer.byteLength(sent.body ?? '')) }),
  };
  return new Promise((resolve, reject) => {
    const request = http.request({ host: hostname, port, method, path: target, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve(answerOf(response, Buffer.concat(chunks).toString())));
    });
    request.on('error', reject);
    request.end(sent.body);
  });
}

/** What a client can see of a response, with the random values replaced by their shape. */
function answerOf(response: http.IncomingMessage, text: string): Answer {
  const { date: _date, 'content-length': _length, 'transfer-encoding': _framing, 'set-cookie': cookies, ...headers } = response.headers;
  const shapeOfCookies = cookies?.map((cookie) => cookie.replace(/^([^=]+)=[^;]*/, '$1=<random>'));
  return {
    status: response.statusCode!,
    headers: { ...headers, 'set-cookie': shapeOfCookies },
    body: text === '' ? '' : withoutRandomness(JSON.parse(text)),
  };
}

function withoutRandomness(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => withoutRandomness(item));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutRandomness(v, k)]));
  if (typeof value !== 'string') return value;
  if (key === 'state' || key === 'token') return `<random ${value.length} chars>`;
  if (key === 'url') return value.replace(/([?&]state=)[^&]*/, '$1<random>');
  return value;
}

/** A request sent to both servers (target under /trpc), and the route the adapter should take. */
interface Case {
  name: string;
  target: string;
  sent?: (user: Users) => Sent;
  status: number;
  /** Who answers on the adapter's side: its own code, tRPC's handler, or Fastify before either. */
  route: 'own' | 'tRPC handler' | 'Fastify';
}
interface Users {
  token: string;
  account: string;
  password: string;
  lockedAccount: string;
}

const withSession = (u: Users): Sent => ({ headers: { authorization: `Bearer ${u.token}` } });
const post = (body: string, contentType = 'application/json'): Sent => ({ method: 'POST', headers: { 'content-type': contentType }, body });
const input = (json: string) => `?input=${encodeURIComponent(json)}`;
const BROWSER_COOKIE = `wl_browser=${'b'.repeat(43)}`;
// Multipart is not compared: tRPC's plugin streams it into FormData, ours refuses it with 415
// (no procedure takes FormData; security/bounds-process.test.ts holds that).

const cases: Case[] = [
  // Success
  { name: 'auth.me with a session', target: '/auth.me', sent: withSession, status: 200, route: 'own' },
  { name: 'weibo.authorizeUrl without input (sets the cookie)', target: '/weibo.authorizeUrl', status: 200, route: 'own' },
  {
    name: 'weibo.authorizeUrl with input and the cookie',
    target: `/weibo.authorizeUrl${input('{"redirectTo":"/home"}')}`,
    sent: () => ({ headers: { cookie: BROWSER_COOKIE } }),
    status: 200,
    route: 'own',
  },
  { name: 'weibo.authorizeUrl with an empty ?input=', target: '/weibo.authorizeUrl?input=', status: 200, route: 'own' },
  { name: 'weibo.authorizeUrl with ?input=null', target: '/weibo.authorizeUrl?input=null', status: 400, route: 'own' },
  {
    name: 'auth.login with the right password',
    target: '/auth.login',
    sent: (u) => post(JSON.stringify({ account: u.account, password: u.password })),
    status: 200,
    route: 'own',
  },
  {
    name: 'auth.login, content-type with a charset',
    target: '/auth.login',
    sent: (u) => post(JSON.stringify({ account: u.account, password: u.password }), 'Application/JSON; charset=utf-8'),
    status: 200,
    route: 'own',
  },
  { name: 'percent-encoded path', target: '/auth%2Eme', sent: withSession, status: 200, route: 'own' },
  // Input decoding: `+` is a space (refused in redirectTo), `%2B` a plus, `%E7…` UTF-8; the
  // strict-object error names the unknown key, so the decoded text shows in the answer. A raw `#`
  // starts the fragment: what follows is not part of the query for tRPC (WHATWG URL).
  {
    name: 'input with %2B and unicode',
    target: `/weibo.authorizeUrl?input={"redirectTo":"/a%2Bb/${encodeURIComponent('用户')}"}`,
    status: 200,
    route: 'own',
  },
  { name: 'input with + (a space once decoded)', target: '/weibo.authorizeUrl?input={"redirectTo":"/a+b"}', status: 400, route: 'own' },
  {
    name: 'input with an unknown key in unicode, + and %2B',
    target: `/weibo.authorizeUrl?input={"${encodeURIComponent('用户')}+x%2By":1}`,
    status: 400,
    route: 'own',
  },
  { name: 'input with a raw #', target: '/weibo.authorizeUrl?input={"redirectTo":"/a#b"}', status: 400, route: 'tRPC handler' },
  {
    name: 'query string after a raw #',
    target: `/weibo.authorizeUrl#${input('{"intent":"connect"}')}`,
    status: 200,
    route: 'tRPC handler',
  },
  // Errors from the procedure: zod, the session, AppErrors (one with retryAfterSeconds)
  {
    name: 'zod: auth.register with a short account and password',
    target: '/auth.register',
    sent: () => post('{"account":"x","password":"y"}'),
    status: 400,
    route: 'own',
  },
  { name: 'zod: JSON null body', target: '/auth.login', sent: () => post('null'), status: 400, route: 'own' },
  { name: 'zod: JSON array body', target: '/auth.login', sent: () => post('[1,2,3]'), status: 400, route: 'own' },
  { name: 'zod: empty JSON body', target: '/auth.login', sent: () => post(''), status: 400, route: 'own' },
  { name: 'UNAUTHENTICATED: auth.me without a token', target: '/auth.me', status: 401, route: 'own' },
  {
    name: 'UNAUTHENTICATED: a connect URL without a session',
    target: `/weibo.authorizeUrl${input('{"intent":"connect"}')}`,
    status: 401,
    route: 'own',
  },
  {
    name: 'STATE_INVALID: weibo.login with an unknown state',
    target: '/weibo.login',
    sent: () => post('{"code":"c","state":"unknown"}'),
    status: 400,
    route: 'own',
  },
  {
    name: 'BAD_CREDENTIALS: auth.login with a wrong password',
    target: '/auth.login',
    sent: (u) => post(JSON.stringify({ account: u.account, password: 'wrong password' })),
    status: 401,
    route: 'own',
  },
  {
    name: 'TOO_MANY_ATTEMPTS with retryAfterSeconds',
    target: '/auth.login',
    sent: (u) => post(JSON.stringify({ account: u.lockedAccount, password: 'wrong password' })),
    status: 429,
    route: 'own',
  },
  // Everything else is tRPC's handler's
  { name: 'unknown procedure', target: '/no.such.procedure', status: 404, route: 'tRPC handler' },
  { name: 'a router, not a procedure', target: '/auth', status: 404, route: 'tRPC handler' },
  { name: 'an Object.prototype name', target: '/constructor', status: 404, route: 'tRPC handler' },
  { name: 'a path with a trailing dot', target: '/auth.me.', status: 404, route: 'tRPC handler' },
  { name: 'double percent-encoded path', target: '/auth%252Eme', sent: withSession, status: 200, route: 'tRPC handler' },
  { name: 'query sent as POST', target: '/auth.me', sent: () => post('{}'), status: 405, route: 'tRPC handler' },
  { name: 'mutation sent as GET', target: '/auth.login', status: 405, route: 'tRPC handler' },
  { name: 'PUT', target: '/auth.login', sent: () => ({ ...post('{}'), method: 'PUT' }), status: 405, route: 'tRPC handler' },
  { name: 'HEAD', target: '/auth.me', sent: () => ({ method: 'HEAD' }), status: 204, route: 'tRPC handler' },
  { name: 'invalid JSON body', target: '/auth.login', sent: () => post('{not json'), status: 400, route: 'tRPC handler' },
  { name: 'invalid JSON in ?input=', target: `/weibo.authorizeUrl${input('{broken')}`, status: 400, route: 'tRPC handler' },
  { name: 'POST as text/plain', target: '/auth.login', sent: () => post('{}', 'text/plain'), status: 415, route: 'tRPC handler' },
  {
    name: 'POST as a form (parsed by formbody)',
    target: '/auth.login',
    sent: () => post('account=a&password=b', 'application/x-www-form-urlencoded'),
    status: 415,
    route: 'tRPC handler',
  },
  { name: 'POST as application/jsonx', target: '/auth.login', sent: () => post('{}', 'application/jsonx'), status: 415, route: 'Fastify' },
  {
    name: 'POST as application/json-patch+json',
    target: '/auth.login',
    sent: () => post('{}', 'application/json-patch+json'),
    status: 415,
    route: 'Fastify',
  },
  {
    name: 'POST as "application/json, text/plain"',
    target: '/auth.login',
    sent: () => post('{}', 'application/json, text/plain'),
    status: 415,
    route: 'Fastify',
  },
  {
    name: 'POST without content-type or body',
    target: '/auth.login',
    sent: () => ({ method: 'POST' }),
    status: 415,
    route: 'tRPC handler',
  },
  { name: 'POST with a query string', target: '/auth.login?x=1', sent: () => post('{}'), status: 400, route: 'tRPC handler' },
  {
    name: 'GET with a content-type',
    target: '/weibo.authorizeUrl',
    sent: () => ({ headers: { 'content-type': 'application/json' } }),
    status: 200,
    route: 'tRPC handler',
  },
  { name: 'GET with ?batch=0', target: '/weibo.authorizeUrl?batch=0', status: 200, route: 'tRPC handler' },
  {
    name: 'batch of two queries',
    target: `/auth.me,weibo.authorizeUrl?batch=1&${input('{"1":{"redirectTo":"/x"}}').slice(1)}`,
    sent: withSession,
    status: 200,
    route: 'tRPC handler',
  },
  { name: 'batch of a failing and a succeeding query', target: '/auth.me,weibo.authorizeUrl?batch=1', status: 207, route: 'tRPC handler' },
  {
    name: 'batch of two failing mutations',
    target: '/auth.login,weibo.login?batch=1',
    sent: () => post('{"0":{},"1":{"code":"c","state":"s"}}'),
    status: 400,
    route: 'tRPC handler',
  },
  {
    name: 'trpc-accept: application/jsonl',
    target: '/auth.me',
    sent: () => ({ headers: { 'trpc-accept': 'application/jsonl' } }),
    status: 400,
    route: 'tRPC handler',
  },
  {
    name: 'accept: application/jsonl',
    target: '/auth.me',
    sent: () => ({ headers: { accept: 'application/jsonl' } }),
    status: 400,
    route: 'tRPC handler',
  },
];

describe('our tRPC route against tRPC’s own Fastify plugin', () => {
  let sim: WeiboSimulator;
  let h: Harness;
  const servers = {} as Record<Side, Server>;
  const bases = {} as Record<Side, string>;
  let users: Users;

  beforeAll(async () => {
    sim = await startSimulator();
    h = await createHarness('sqlite', sim);
    for (const side of ['adapter', 'stock'] as const) {
      recorded.serveNextWith = side;
      servers[side] = await createServer(
        h.deps,
        { host: '127.0.0.1', port: 0, trustProxy: false, corsOrigins: [], webDist: '/nonexistent' },
        pino({ level: 'silent' }),
      );
      bases[side] = await servers[side].start();
    }
    const user = await h.registerAccount();
    const locked = await h.registerAccount();
    // Five failures lock the account; the clock stands still, so both sides get the same wait.
    for (let i = 0; i < 5; i++)
      await h
        .caller()
        .auth.login({ account: locked.account, password: 'wrong password' })
        .catch(() => {});
    users = { token: user.token, account: user.account, password: user.password, lockedAccount: locked.account };
  });
  afterAll(async () => {
    for (const server of Object.values(servers)) await server.app.close();
    await h?.close();
    await sim?.close();
  });

  it.each(cases)('$name', async ({ target, sent, status, route }) => {
    const answers = {} as Record<Side, Answer>;
    for (const side of ['adapter', 'stock'] as const) {
      recorded[side] = { contextHadInfo: [], errors: [] };
      answers[side] = await send(bases[side], `/trpc${target}`, sent?.(users));
    }
    expect(answers.adapter).toEqual(answers.stock);
    // Guards the case itself: it must produce the answer it is named after.
    expect(answers.stock.status).toBe(status);

    // onError: once per failed call, with the code and path the answer shows, on both sides.
    expect(recorded.adapter.errors).toEqual(recorded.stock.errors);
    const calls = [answers.stock.body].flat() as { error?: { data?: { code: string; path?: string } } }[];
    const failedCalls = calls.flatMap(({ error }) => (error?.data ? [{ code: error.data.code, path: error.data.path }] : []));
    // Bodies Fastify refuses (route 'Fastify') get tRPC's error shape without reaching tRPC.
    if (route !== 'Fastify') expect(recorded.stock.errors).toEqual(failedCalls);

    // Which path the adapter took: tRPC's handler passes `info` to createContext, ours does not.
    expect(recorded.stock.contextHadInfo.every(Boolean)).toBe(true);
    if (route === 'own') expect(recorded.adapter.contextHadInfo).toEqual([false]);
    else expect(recorded.adapter.contextHadInfo).toEqual(recorded.stock.contextHadInfo);
    if (route === 'Fastify') expect(recorded.stock).toEqual({ contextHadInfo: [], errors: [] });
  });

  it("sends tRPC's own JSON answers whole, with a content-length, where its plugin streams them", async () => {
    const framing = async (side: Side) => {
      const response = await fetch(`${bases[side]}/trpc/auth.me,weibo.authorizeUrl?batch=1`);
      await response.text();
      return { length: response.headers.get('content-length') !== null, chunked: response.headers.get('transfer-encoding') };
    };
    expect(await framing('adapter')).toEqual({ length: true, chunked: null });
    expect(await framing('stock')).toEqual({ length: false, chunked: 'chunked' });
  });
});
