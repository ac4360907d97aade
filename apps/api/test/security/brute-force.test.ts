/**
 * Password guessing at auth.login, weibo.bind and weibo.unbind, over HTTP, against two API
 * instances on one database and a third started after the second is stopped (a restart): the
 * limits per account and per client address hold everywhere, the right password is refused while
 * locked, and TOO_MANY_ATTEMPTS (429) says how long to wait. Single-instance lockouts are in
 * auth.test.ts.
 */
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTEMPT_WINDOW_MS, MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_IP } from '../../src/modules/passwords/password-limiter.ts';
import { DIALECTS } from '../support/databases.ts';
import { REDIRECT_URI, startSimulator } from '../support/harness.ts';
import { Browser, type CallResult } from './support/http.ts';
import { type Instance, type SharedDatabase, sharedDatabase, startInstance } from './support/instances.ts';

let sim: WeiboSimulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

const PASSWORD = 'correct horse 1';
let nextName = 0;
const uniqueName = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${nextName++}`;
const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

describe.each(DIALECTS)('brute force across instances and a restart on %s', (dialect) => {
  const clock = { now: Date.now() };
  let db: SharedDatabase;
  let a: Instance;
  let b: Instance;
  const started: Instance[] = [];
  // The instances sit behind a proxy on loopback, so X-Forwarded-For gives each guess its own address.
  const start = async (trustProxy: string | false = '127.0.0.1') => {
    const instance = await startInstance(db.config, sim.url, { now: () => clock.now, trustProxy });
    started.push(instance);
    return instance;
  };

  beforeAll(async () => {
    db = await sharedDatabase(dialect);
    a = await start();
    b = await start();
  });
  afterAll(async () => {
    for (const instance of started) await instance.stop().catch(() => {});
    await db.drop();
  });

  async function newUser(instance: Instance) {
    const account = uniqueName('bf');
    const result = await new Browser(instance.url).call<{ session: { token: string } }>('auth.register', { account, password: PASSWORD });
    expect(result.reason).toBe('ok');
    return { account, token: result.data.session.token };
  }

  async function ticketFor(instance: Instance): Promise<string> {
    const uid = ((await (await fetch(`${sim.url}/__sim/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ screenName: uniqueName('w') }) })).json()) as { uid: string }).uid;
    const { codes } = (await (await fetch(`${sim.url}/__sim/codes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uid, redirectUri: REDIRECT_URI }) })).json()) as { codes: string[] };
    const browser = new Browser(instance.url);
    const { data } = await browser.call<{ state: string }>('weibo.authorizeUrl');
    const login = await browser.call<{ status: string; ticket: string }>('weibo.login', { code: codes[0], state: data.state });
    expect(login.data.status).toBe('bind_required');
    return login.data.ticket;
  }

  function expectLocked(result: CallResult) {
    expect(result.status).toBe(429);
    expect(result.reason).toBe('TOO_MANY_ATTEMPTS');
    const wait = result.body.error!.data.retryAfterSeconds!;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(ATTEMPT_WINDOW_MS / 1000);
    expect(result.body.error!.message).toContain(`${wait} seconds`);
  }

  /** Spreads the failures over both instances and over many addresses, so only the account limit can catch them. */
  async function failAcross(guess: (instance: Instance, i: number) => Promise<CallResult>) {
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT; i++) {
      const result = await guess(i % 2 === 0 ? a : b, i);
      expect(result.reason).toBe('BAD_CREDENTIALS');
    }
  }

  it('auth.login: the account limit holds across two instances and a restart, even for the right password', async () => {
    const user = await newUser(a);
    const login = (instance: Instance, password: string, ip: string) => new Browser(instance.url).call('auth.login', { account: user.account, password }, from(ip));
    await failAcross((instance, i) => login(instance, 'wrong password', `192.0.2.${i + 1}`));
    expectLocked(await login(a, PASSWORD, '192.0.2.100'));
    expectLocked(await login(b, PASSWORD, '192.0.2.101'));
    await b.stop();
    b = await start();
    expectLocked(await login(b, PASSWORD, '192.0.2.102'));
    clock.now += ATTEMPT_WINDOW_MS + 1;
    expect((await login(b, PASSWORD, '192.0.2.103')).reason).toBe('ok');
  });

  it('weibo.bind: a ticket holder cannot guess an account password past the limit', async () => {
    const victim = await newUser(a);
    const ticket = await ticketFor(a);
    const bind = (instance: Instance, password: string, ip: string) => new Browser(instance.url).call('weibo.bind', { ticket, account: victim.account, password }, from(ip));
    await failAcross((instance, i) => bind(instance, `guess number ${i}`, `198.51.100.${i + 1}`));
    expectLocked(await bind(b, PASSWORD, '198.51.100.50'));
    await a.stop();
    a = await start();
    expectLocked(await bind(a, PASSWORD, '198.51.100.51'));
    expect((await new Browser(a.url).call<{ identities: unknown[] }>('auth.me', undefined, { token: victim.token })).data.identities).toEqual([]);
    clock.now += ATTEMPT_WINDOW_MS + 1;
    // The ticket has expired meanwhile (10 minutes); a fresh one binds with the right password.
    expect((await bind(a, PASSWORD, '198.51.100.52')).reason).toBe('TICKET_INVALID');
    const fresh = await ticketFor(b);
    expect((await new Browser(b.url).call('weibo.bind', { ticket: fresh, account: victim.account, password: PASSWORD }, from('198.51.100.53'))).reason).toBe('ok');
  });

  it('weibo.unbind: a stolen session cannot guess the password to unbind, and the binding stays', async () => {
    const ticket = await ticketFor(a);
    const account = uniqueName('ub');
    const registered = await new Browser(a.url).call<{ session: { token: string } }>('weibo.register', { ticket, account, password: PASSWORD });
    const token = registered.data.session.token;
    const unbind = (instance: Instance, password: string, ip: string) => new Browser(instance.url).call('weibo.unbind', { password }, { token, ...from(ip) });
    await failAcross((instance, i) => unbind(instance, `guess number ${i}`, `203.0.113.${i + 1}`));
    expectLocked(await unbind(a, PASSWORD, '203.0.113.60'));
    await b.stop();
    b = await start();
    expectLocked(await unbind(b, PASSWORD, '203.0.113.61'));
    expect((await new Browser(b.url).call<{ identities: unknown[] }>('auth.me', undefined, { token })).data.identities).toHaveLength(1);
    clock.now += ATTEMPT_WINDOW_MS + 1;
    expect((await unbind(b, PASSWORD, '203.0.113.62')).reason).toBe('ok');
  });

  it('failures at login, bind and unbind add up to one limit per account', async () => {
    const ticket = await ticketFor(a);
    const account = uniqueName('mix');
    const token = (await new Browser(a.url).call<{ session: { token: string } }>('weibo.register', { ticket, account, password: PASSWORD })).data.session.token;
    const otherTicket = await ticketFor(b);
    const guesses = [
      () => new Browser(a.url).call('auth.login', { account, password: 'wrong password 1' }, from('192.0.2.201')),
      () => new Browser(b.url).call('weibo.bind', { ticket: otherTicket, account, password: 'wrong password 2' }, from('192.0.2.202')),
      () => new Browser(a.url).call('weibo.unbind', { password: 'wrong password 3' }, { token, ...from('192.0.2.203') }),
      () => new Browser(b.url).call('auth.login', { account: account.toUpperCase(), password: 'wrong password 4' }, from('192.0.2.204')),
      () => new Browser(a.url).call('weibo.unbind', { password: 'wrong password 5' }, { token, ...from('192.0.2.205') }),
    ];
    for (const guess of guesses) expect((await guess()).reason).toBe('BAD_CREDENTIALS');
    expectLocked(await new Browser(b.url).call('auth.login', { account, password: PASSWORD }, from('192.0.2.206')));
    expectLocked(await new Browser(a.url).call('weibo.unbind', { password: PASSWORD }, { token, ...from('192.0.2.207') }));
    clock.now += ATTEMPT_WINDOW_MS + 1;
  });

  it('the limit per client address holds across instances and a restart, for every account', async () => {
    const ip = '100.64.0.1';
    for (let i = 0; i < MAX_FAILURES_PER_IP; i++) {
      const result = await new Browser((i % 2 === 0 ? a : b).url).call('auth.login', { account: uniqueName('spray'), password: 'Winter2026!' }, from(ip));
      expect(result.reason).toBe('BAD_CREDENTIALS');
    }
    const user = await newUser(a);
    expectLocked(await new Browser(a.url).call('auth.login', { account: user.account, password: PASSWORD }, from(ip)));
    expectLocked(await new Browser(b.url).call('weibo.bind', { ticket: await ticketFor(a), account: user.account, password: PASSWORD }, from(ip)));
    expectLocked(await new Browser(a.url).call('weibo.unbind', { password: PASSWORD }, { token: user.token, ...from(ip) }));
    await a.stop();
    a = await start();
    expectLocked(await new Browser(a.url).call('auth.login', { account: user.account, password: PASSWORD }, from(ip)));
    // Another address is not affected.
    expect((await new Browser(a.url).call('auth.login', { account: user.account, password: PASSWORD }, from('100.64.0.2'))).reason).toBe('ok');
    clock.now += ATTEMPT_WINDOW_MS + 1;
  });

  it('without TRUST_PROXY, a made-up X-Forwarded-For does not give a client a new address', async () => {
    const direct = await start(false);
    for (let i = 0; i < MAX_FAILURES_PER_IP; i++) {
      const result = await new Browser(direct.url).call('auth.login', { account: uniqueName('xff'), password: 'Winter2026!' }, from(`10.${i}.0.1`));
      expect(result.reason).toBe('BAD_CREDENTIALS');
    }
    const user = await newUser(direct);
    expectLocked(await new Browser(direct.url).call('auth.login', { account: user.account, password: PASSWORD }, from('10.200.0.1')));
    clock.now += ATTEMPT_WINDOW_MS + 1;
  });
});
