/**
 * Two API processes on one MySQL database, as behind a load balancer: they start together on an
 * empty database (the migration lock serialises them), and a state, a ticket, a session, a logout
 * and a pair lock-out made at one hold at the other, and at a third process started after the
 * second is stopped. Races split across both are settled by the database.
 * In-process instances over HTTP with the same checks on SQLite are in security/brute-force.test.ts.
 */
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_SLOWDOWN_SPACING_MS, ATTEMPT_WINDOW_MS, MAX_FAILURES_PER_PAIR } from '../../src/limits/bounds.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.ts';
import { REDIRECT_URI, startSimulator } from '../support/harness.ts';
import { type ApiProcess, apiEnv, spawnApi } from '../support/api-process.ts';
import { Browser, call } from '../support/http.ts';

const PASSWORD = 'two-instances-1';
/** Behind the trusted proxy: the client address the request stands for. */
const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

describe.skipIf(!DIALECTS.includes('mysql'))('two API processes on one MySQL', () => {
  let sim: WeiboSimulator;
  let db: TestDatabase;
  let a: ApiProcess;
  let b: ApiProcess;
  // Behind a proxy on loopback: X-Forwarded-For gives each simulated client its own address.
  const env = () =>
    apiEnv(sim.url, {
      DATABASE_URL: db.config.kind === 'mysql' ? db.config.url : '',
      BCRYPT_COST: '10',
      LOG_LEVEL: 'warn',
      TRUST_PROXY: '127.0.0.1',
    });

  beforeAll(async () => {
    sim = await startSimulator();
    db = await createTestDatabase('mysql');
    // Both start on the empty database at once: one migrates, the other waits for the lock.
    [a, b] = await Promise.all([spawnApi(env()), spawnApi(env())]);
  });
  afterAll(async () => {
    const exits = await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
    await sim?.close();
    for (const exit of exits) expect(exit).toEqual({ code: 0, signal: null });
  });

  const newUid = async () => (await sim.control.createUser({ screenName: '双实例' })).uid;
  const mint = (uid: string) => sim.control.mintCode({ uid, redirectUri: REDIRECT_URI });
  let n = 0;
  const name = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${n++}`;

  /** The same browser (cookie jar) talking to either instance. */
  function browserOn(first: ApiProcess) {
    const browser = new Browser(first.url);
    return {
      browser,
      at: (api: ApiProcess) => Object.assign(Object.create(browser) as Browser, { base: api.url }),
    };
  }

  it('a state issued by one is accepted once by the other, from the same browser only', async () => {
    const uid = await newUid();
    const { browser, at } = browserOn(a);
    const { state } = (await browser.call<{ state: string }>('weibo.authorizeUrl')).data;
    // (2e) Genuine, but from another browser: said as such, and not spent.
    expect((await new Browser(b.url).call('weibo.login', { code: await mint(uid), state })).reason).toBe('BROWSER_MISMATCH');
    expect((await at(b).call<{ status: string }>('weibo.login', { code: await mint(uid), state })).data.status).toBe('bind_required');
    expect((await at(a).call('weibo.login', { code: await mint(uid), state })).reason).toBe('STATE_INVALID');
  });

  it('a ticket from one binds at the other, once, in the browser it was issued to only', async () => {
    const account = name('ticket');
    await call(a.url, 'auth.register', { account, password: PASSWORD });
    const { browser, at } = browserOn(a);
    const { state } = (await browser.call<{ state: string }>('weibo.authorizeUrl')).data;
    const { ticket } = (await browser.call<{ ticket: string }>('weibo.login', { code: await mint(await newUid()), state })).data;
    expect((await call(b.url, 'weibo.bind', { ticket, account, password: PASSWORD })).reason).toBe('TICKET_INVALID');
    expect((await at(b).call('weibo.bind', { ticket, account, password: PASSWORD })).reason).toBe('ok');
    expect((await at(a).call('weibo.bind', { ticket, account, password: PASSWORD })).reason).toBe('TICKET_INVALID');
  });

  it('a connect state of one account, issued by one instance, is refused to another account at the other', async () => {
    const [x, y] = [name('conn_x'), name('conn_y')];
    const tokenX = (await call<{ session: { token: string } }>(a.url, 'auth.register', { account: x, password: PASSWORD })).data.session
      .token;
    const tokenY = (await call<{ session: { token: string } }>(b.url, 'auth.register', { account: y, password: PASSWORD })).data.session
      .token;
    const { browser, at } = browserOn(a);
    // (2e) A connect needs a re-authentication of the session, which the other instance sees too.
    expect((await browser.call('account.reauthenticate', { password: PASSWORD }, { token: tokenX })).reason).toBe('ok');
    const { state } = (await browser.call<{ state: string }>('weibo.authorizeUrl', { intent: 'connect' }, { token: tokenX })).data;
    const uid = await newUid();
    expect((await at(b).call('weibo.connect', { code: await mint(uid), state }, { token: tokenY })).reason).toBe('STATE_INVALID');
    expect((await at(b).call('weibo.connect', { code: await mint(uid), state }, { token: tokenX })).reason).toBe('ok');
  });

  it('sessions, logout and logout everywhere hold across both', async () => {
    const account = name('sess');
    const first = (await call<{ session: { token: string } }>(a.url, 'auth.register', { account, password: PASSWORD })).data.session.token;
    const second = (await call<{ session: { token: string } }>(b.url, 'auth.login', { account, password: PASSWORD })).data.session.token;
    const third = (await call<{ session: { token: string } }>(a.url, 'auth.login', { account, password: PASSWORD })).data.session.token;
    expect((await call(b.url, 'auth.me', undefined, { token: first })).reason).toBe('ok');
    await call(b.url, 'auth.logout', undefined, { token: first });
    expect((await call(a.url, 'auth.me', undefined, { token: first })).reason).toBe('UNAUTHENTICATED');
    expect((await call(a.url, 'auth.me', undefined, { token: second })).reason).toBe('ok');
    await call(a.url, 'auth.logout', { everywhere: true }, { token: second });
    for (const api of [a, b])
      for (const token of [second, third]) expect((await call(api.url, 'auth.me', undefined, { token })).reason).toBe('UNAUTHENTICATED');
  });

  it("a pair lock made across both holds at both, and at a process started after one is stopped; the owner's browser signs in from elsewhere", async () => {
    const account = name('lock');
    const owner = browserOn(a);
    expect((await owner.browser.call('auth.register', { account, password: PASSWORD }, from('198.18.1.1'))).reason).toBe('ok');
    // Five wrong passwords from one address, split across both processes.
    const ip = '203.0.113.77';
    for (let i = 0; i < MAX_FAILURES_PER_PAIR; i++) {
      expect((await call(i % 2 ? a.url : b.url, 'auth.login', { account, password: 'wrong password' }, from(ip))).reason).toBe(
        'BAD_CREDENTIALS',
      );
    }
    for (const api of [a, b]) {
      // Even the right password, even in the owner's own browser, from that address.
      const locked = await owner.at(api).call('auth.login', { account, password: PASSWORD }, from(ip));
      expect(locked.status).toBe(429);
      expect(locked.body.error!.data.retryAfterSeconds).toBeGreaterThan(ATTEMPT_WINDOW_MS / 1000 - 60);
      expect(locked.body.error!.message).toMatch(/^Too many failed attempts\. Try again in \d+ seconds\.$/);
      // Only that pair: from another address the owner's browser is let in.
      expect((await owner.at(api).call('auth.login', { account, password: PASSWORD }, from('203.0.113.78'))).reason).toBe('ok');
    }
    // The account's 5 failures slow a stranger's browser down elsewhere, to one check per spacing.
    const slowed = await call(b.url, 'auth.login', { account, password: PASSWORD }, from('203.0.113.79'));
    expect(slowed.status).toBe(429);
    expect(slowed.body.error!.data.retryAfterSeconds).toBeLessThanOrEqual(ACCOUNT_SLOWDOWN_SPACING_MS / 1000);
    expect(await b.stop()).toEqual({ code: 0, signal: null });
    b = await spawnApi(env());
    expect((await owner.at(b).call('auth.login', { account, password: PASSWORD }, from(ip))).reason).toBe('TOO_MANY_ATTEMPTS');
    expect((await owner.at(b).call('auth.login', { account, password: PASSWORD }, from('203.0.113.80'))).reason).toBe('ok');
  });

  it('30 parallel binds of one uid and 30 registers of one name, split across both, settle once', async () => {
    const uid = await newUid();
    const accounts = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const account = name(`bind${i}`);
        // Each from an address of its own: new accounts are rate-limited per address (10 per 10 minutes).
        expect((await call(i % 2 ? a.url : b.url, 'auth.register', { account, password: PASSWORD }, from(`198.18.2.${i}`))).reason).toBe(
          'ok',
        );
        return account;
      }),
    );
    // 30 people, each in a browser and at an address of their own (Weibo calls in flight are
    // bounded per address); each ticket is bound, in the browser it came back to, at the other process.
    const tickets = await Promise.all(
      accounts.map(async (_, i) => {
        const { browser, at } = browserOn(i % 2 ? a : b);
        const { state } = (await browser.call<{ state: string }>('weibo.authorizeUrl', undefined, from(`198.51.100.${i}`))).data;
        const login = await browser.call<{ ticket: string }>('weibo.login', { code: await mint(uid), state }, from(`198.51.100.${i}`));
        expect(login.reason).toBe('ok');
        return { at, ticket: login.data.ticket };
      }),
    );
    // From 30 addresses: 30 password checks from one address would meet its own limit.
    const binds = await Promise.all(
      tickets.map(({ at, ticket }, i) =>
        at(i % 2 ? b : a).call('weibo.bind', { ticket, account: accounts[i], password: PASSWORD }, from(`198.51.100.${i}`)),
      ),
    );
    expect(binds.map((r) => r.reason).sort()).toEqual(['ok', ...Array<string>(29).fill('WEIBO_ALREADY_BOUND')].sort());
    const shared = name('same');
    const registers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        call(i % 2 ? a.url : b.url, 'auth.register', { account: shared, password: PASSWORD }, from(`198.18.3.${i}`)),
      ),
    );
    expect(registers.map((r) => r.reason).sort()).toEqual(['ok', ...Array<string>(29).fill('ACCOUNT_TAKEN')].sort());
    expect(binds.concat(registers).filter((r) => r.status >= 500)).toEqual([]);
  });
});
