/**
 * Bounds of the real process (node src/main.ts) on bodies and connections: multipart refused
 * before it is read, slow senders cut, SIGTERM not held by them, the Weibo budget across addresses.
 * "Without it" above a test says how it was seen to fail without its bound (a scratch copy with
 * the bound changed, never this src/).
 */
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PROCESS_ENV, API_NODE_FLAGS, HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../../src/limits/bounds.ts';
import { startSimulator } from '../support/harness.ts';
import { type ApiProcess, apiEnv, spawnApi } from '../support/api-process.ts';
import { Browser } from '../support/http.ts';
import { hex, sleep, simStats, until, rawClient, rawExchange, rssBytesOf } from '../support/bounds.ts';

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

  // Without it: with the flags taken out of package.json's start, the first expectation fails (and
  // abuse.stress.ts sees the RSS pass 300 MB under sign-up floods).
  it('runs with the memory bounds of limits/bounds.ts, as package.json dev and start give them', () => {
    const { scripts } = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const script of ['dev', 'start']) {
      expect(scripts[script]!.split(' '), script).toEqual(
        expect.arrayContaining([
          ...API_NODE_FLAGS,
          ...Object.entries(API_PROCESS_ENV).map(([name, value]) => `${name}=\${${name}:-${value}}`),
        ]),
      );
    }
    expect(fs.readFileSync(`/proc/${api.child.pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining([...API_NODE_FLAGS]));
    expect(fs.readFileSync(`/proc/${api.child.pid}/environ`, 'utf8').split('\0')).toEqual(
      expect.arrayContaining(Object.entries(API_PROCESS_ENV).map(([name, value]) => `${name}=${value}`)),
    );
    expect(api.output()).not.toContain('without the heap bounds');
  });

  // Without it: with tRPC's own multipart parser put back in fastify-adapter.ts (the body handed
  // over as a stream), the form is read and refused by the input schema: 400, not 415.
  it('answers multipart/form-data on /trpc/auth.login and /trpc/weibo.login with 415', async () => {
    const form = new FormData();
    for (const [name, value] of Object.entries({ account: 'someone', password: 'password-123', code: 'c', state: 's' }))
      form.set(name, value);
    const encoded = new Response(form);
    const type = encoded.headers.get('content-type')!;
    const body = Buffer.from(await encoded.arrayBuffer());
    for (const route of ['auth.login', 'weibo.login']) {
      // One write, read to the end: the server may close as soon as it has answered.
      const answer = await rawExchange(
        api.port,
        Buffer.concat([
          Buffer.from(
            `POST /trpc/${route} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
          ),
          body,
        ]),
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
      const piece = (bytes: Buffer) =>
        framing === 'chunked' ? Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]) : bytes;
      const framingHeader = framing === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${TOTAL}`;
      client.socket.write(
        `POST /trpc/${route} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\n${framingHeader}\r\n\r\n`,
      );
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
        if (!client.socket.write(piece(Buffer.alloc(CHUNK, 'p'))))
          await Promise.race([once(client.socket, 'drain'), once(client.socket, 'close'), sleep(2000)]).catch(() => undefined);
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
      client.socket.write(
        'POST /trpc/auth.login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      );
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
      client.socket.write(
        'POST /trpc/auth.login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      );
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
