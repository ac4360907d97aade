/**
 * Password guessing at auth.login, weibo.bind and weibo.unbind, over HTTP, against two API
 * instances on one database and a third started after the second is stopped (a restart): the
 * lock-out rules (docs/security.md "Lock-out") hold everywhere — the (account, address) pair is
 * locked after 5 failures and an address after 30, even for the right password; failures of one
 * account from many addresses slow strangers' browsers down to one check per 3 minutes but not
 * the owner's own browser — and TOO_MANY_ATTEMPTS (429) says how long to wait and why.
 * Single-instance lock-outs, rule by rule, are in auth.test.ts.
 */
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import {
  ACCOUNT_SLOWDOWN_AFTER_FAILURES,
  ACCOUNT_SLOWDOWN_SPACING_MS,
  ATTEMPT_WINDOW_MS,
  MAX_FAILURES_PER_ADDRESS,
  MAX_FAILURES_PER_PAIR,
} from '../../src/limits/bounds.ts';
import { accountKeyOf } from '../../src/modules/users/users.repository.ts';
import { DIALECTS } from '../support/databases.ts';
import { REDIRECT_URI, startSimulator } from '../support/harness.ts';
import { Browser, type CallResult } from '../support/http.ts';
import { type Instance, type SharedDatabase, sharedDatabase, startInstance } from '../support/instances.ts';

let sim: WeiboSimulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

const PASSWORD = 'correct horse 1';
const WINDOW_S = ATTEMPT_WINDOW_MS / 1000;
const SPACING_S = ACCOUNT_SLOWDOWN_SPACING_MS / 1000;
let nextName = 0;
const uniqueName = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${nextName++}`;
const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
/** The same browser (its cookie jar) talking to another instance, as behind a load balancer. */
const at = (browser: Browser, instance: Instance): Browser => Object.assign(Object.create(browser) as Browser, { base: instance.url });

/** A 429 for failed passwords: the wait, and the message that says it is about failures. */
function expectFailures(result: CallResult, wait: number) {
  expect(result.status).toBe(429);
  expect(result.reason).toBe('TOO_MANY_ATTEMPTS');
  expect(result.body.error!.data.retryAfterSeconds).toBe(wait);
  expect(result.body.error!.message).toBe(`Too many failed attempts. Try again in ${wait} seconds.`);
}

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

  /** A new account, and the browser that registered it: known to the account from then on. */
  async function newUser(instance: Instance) {
    const account = uniqueName('bf');
    const browser = new Browser(instance.url);
    const result = await browser.call<{ session: { token: string } }>('auth.register', { account, password: PASSWORD });
    expect(result.reason).toBe('ok');
    return { account, token: result.data.session.token, browser };
  }

  /** A bind ticket for a new Weibo user, and the browser it came back to (the only one it is good in). */
  async function ticketFor(instance: Instance): Promise<{ ticket: string; browser: Browser }> {
    const { uid } = await sim.control.createUser({ screenName: uniqueName('w') });
    const code = await sim.control.mintCode({ uid, redirectUri: REDIRECT_URI });
    const browser = new Browser(instance.url);
    const { data } = await browser.call<{ state: string }>('weibo.authorizeUrl');
    const login = await browser.call<{ status: string; ticket: string }>('weibo.login', { code, state: data.state });
    expect(login.data.status).toBe('bind_required');
    return { ticket: login.data.ticket, browser };
  }

  /** A new account made with weibo.register: its session, and the browser (known to it). */
  async function newWeiboUser(instance: Instance) {
    const { ticket, browser } = await ticketFor(instance);
    const account = uniqueName('wb');
    const registered = await browser.call<{ session: { token: string } }>('weibo.register', { ticket, account, password: PASSWORD });
    expect(registered.reason).toBe('ok');
    return { account, token: registered.data.session.token, browser };
  }

  /** The failures that start the slow-down, spread over both instances and over as many addresses
   * and browsers, so that neither the pair nor the address rule sees two of them. */
  async function failAcross(guess: (instance: Instance, i: number) => Promise<CallResult>) {
    for (let i = 0; i < ACCOUNT_SLOWDOWN_AFTER_FAILURES; i++) {
      const result = await guess(i % 2 === 0 ? a : b, i);
      expect(result.reason).toBe('BAD_CREDENTIALS');
    }
  }

  it("auth.login: a pair locked across two instances stays locked at both and after a restart, even for the right password in the owner's browser; elsewhere the owner signs in", async () => {
    const user = await newUser(a);
    const ip = '192.0.2.1';
    const login = (browser: Browser, instance: Instance, password: string, address: string) =>
      at(browser, instance).call('auth.login', { account: user.account, password }, from(address));
    for (let i = 0; i < MAX_FAILURES_PER_PAIR; i++) {
      expect((await login(new Browser(a.url), i % 2 === 0 ? a : b, `guess number ${i}`, ip)).reason).toBe('BAD_CREDENTIALS');
    }
    expectFailures(await login(user.browser, a, PASSWORD, ip), WINDOW_S);
    expectFailures(await login(user.browser, b, PASSWORD, ip), WINDOW_S);
    await b.stop();
    b = await start();
    expectFailures(await login(user.browser, b, PASSWORD, ip), WINDOW_S);
    // Only the pair: the owner's browser from another address is let in at both.
    expect((await login(user.browser, b, PASSWORD, '192.0.2.2')).reason).toBe('ok');
    expect((await login(user.browser, a, PASSWORD, '192.0.2.3')).reason).toBe('ok');
    clock.now += ATTEMPT_WINDOW_MS;
    expect((await login(user.browser, b, PASSWORD, ip)).reason).toBe('ok');
  });

  it("auth.login: failures from many addresses slow strangers down at both instances and after a restart, never the owner's browser", async () => {
    const user = await newUser(b);
    const login = (browser: Browser, password: string, address: string) =>
      browser.call('auth.login', { account: user.account, password }, from(address));
    await failAcross((instance, i) => login(new Browser(instance.url), `guess number ${i}`, `192.0.2.${10 + i}`));
    expectFailures(await login(new Browser(a.url), PASSWORD, '192.0.2.30'), SPACING_S);
    expectFailures(await login(new Browser(b.url), PASSWORD, '192.0.2.31'), SPACING_S);
    await a.stop();
    a = await start();
    expectFailures(await login(new Browser(a.url), PASSWORD, '192.0.2.32'), SPACING_S);
    // The browser that registered the account is known to it, at every instance and address.
    expect((await login(at(user.browser, a), PASSWORD, '192.0.2.33')).reason).toBe('ok');
    expect((await login(at(user.browser, b), PASSWORD, '192.0.2.34')).reason).toBe('ok');
    // One check per spacing for everyone else, whichever instance and address it comes to.
    clock.now += ACCOUNT_SLOWDOWN_SPACING_MS;
    expect((await login(new Browser(b.url), 'one more guess', '192.0.2.35')).reason).toBe('BAD_CREDENTIALS');
    expectFailures(await login(new Browser(a.url), PASSWORD, '192.0.2.36'), SPACING_S);
    clock.now += ATTEMPT_WINDOW_MS;
    expect((await login(new Browser(a.url), PASSWORD, '192.0.2.37')).reason).toBe('ok');
  });

  it('weibo.bind: a ticket holder guessing an account password is slowed to one guess per spacing, across instances and a restart', async () => {
    const victim = await newUser(a);
    const { ticket, browser: holder } = await ticketFor(a);
    const bind = (instance: Instance, password: string, ip: string) =>
      at(holder, instance).call('weibo.bind', { ticket, account: victim.account, password }, from(ip));
    await failAcross((instance, i) => bind(instance, `guess number ${i}`, `198.51.100.${i + 1}`));
    expectFailures(await bind(b, PASSWORD, '198.51.100.50'), SPACING_S);
    await a.stop();
    a = await start();
    expectFailures(await bind(a, PASSWORD, '198.51.100.51'), SPACING_S);
    expect(
      (await at(victim.browser, a).call<{ identities: unknown[] }>('auth.me', undefined, { token: victim.token })).data.identities,
    ).toEqual([]);
    clock.now += ACCOUNT_SLOWDOWN_SPACING_MS;
    expect((await bind(b, 'one more guess', '198.51.100.52')).reason).toBe('BAD_CREDENTIALS');
    expectFailures(await bind(a, PASSWORD, '198.51.100.53'), SPACING_S);
    clock.now += ATTEMPT_WINDOW_MS;
    // The ticket has expired meanwhile (10 minutes); a fresh one binds with the right password.
    expect((await bind(a, PASSWORD, '198.51.100.54')).reason).toBe('TICKET_INVALID');
    const fresh = await ticketFor(b);
    expect(
      (await fresh.browser.call('weibo.bind', { ticket: fresh.ticket, account: victim.account, password: PASSWORD }, from('198.51.100.55')))
        .reason,
    ).toBe('ok');
  });

  it("weibo.unbind: a stolen session cannot guess the password to unbind, across instances and a restart; the owner's browser unbinds at once", async () => {
    const owner = await newWeiboUser(a);
    const unbind = (browser: Browser, password: string, ip: string) =>
      browser.call('weibo.unbind', { password }, { token: owner.token, ...from(ip) });
    // The thief has the token, not the owner's browser.
    await failAcross((instance, i) => unbind(new Browser(instance.url), `guess number ${i}`, `203.0.113.${i + 1}`));
    expectFailures(await unbind(new Browser(a.url), PASSWORD, '203.0.113.60'), SPACING_S);
    await b.stop();
    b = await start();
    expectFailures(await unbind(new Browser(b.url), PASSWORD, '203.0.113.61'), SPACING_S);
    expect(
      (await new Browser(b.url).call<{ identities: unknown[] }>('auth.me', undefined, { token: owner.token })).data.identities,
    ).toHaveLength(1);
    expect((await unbind(at(owner.browser, b), PASSWORD, '203.0.113.62')).reason).toBe('ok');
    expect(
      (await new Browser(a.url).call<{ identities: unknown[] }>('auth.me', undefined, { token: owner.token })).data.identities,
    ).toEqual([]);
    clock.now += ATTEMPT_WINDOW_MS;
  });

  it('failures at login, bind and unbind add up: for the pair they were made from, and for the account', async () => {
    const owner = await newWeiboUser(a);
    const other = await ticketFor(b);
    const ip = '192.0.2.201';
    const guesses = [
      () => new Browser(a.url).call('auth.login', { account: owner.account, password: 'wrong password 1' }, from(ip)),
      () =>
        at(other.browser, b).call('weibo.bind', { ticket: other.ticket, account: owner.account, password: 'wrong password 2' }, from(ip)),
      () => new Browser(a.url).call('weibo.unbind', { password: 'wrong password 3' }, { token: owner.token, ...from(ip) }),
      () => new Browser(b.url).call('auth.login', { account: owner.account.toUpperCase(), password: 'wrong password 4' }, from(ip)),
      () => new Browser(a.url).call('weibo.unbind', { password: 'wrong password 5' }, { token: owner.token, ...from(ip) }),
    ];
    expect(guesses).toHaveLength(MAX_FAILURES_PER_PAIR);
    for (const guess of guesses) expect((await guess()).reason).toBe('BAD_CREDENTIALS');
    // From that address, the pair is locked for every procedure, even in the owner's browser.
    expectFailures(await at(owner.browser, b).call('auth.login', { account: owner.account, password: PASSWORD }, from(ip)), WINDOW_S);
    expectFailures(await at(owner.browser, a).call('weibo.unbind', { password: PASSWORD }, { token: owner.token, ...from(ip) }), WINDOW_S);
    // From elsewhere, the same 5 slow strangers down, and not the owner.
    expectFailures(
      await new Browser(b.url).call('auth.login', { account: owner.account, password: PASSWORD }, from('192.0.2.202')),
      SPACING_S,
    );
    expect(
      (await at(owner.browser, a).call('auth.login', { account: owner.account, password: PASSWORD }, from('192.0.2.203'))).reason,
    ).toBe('ok');
    clock.now += ATTEMPT_WINDOW_MS;
  });

  it('the limit per client address holds across instances and a restart, for every account and procedure', async () => {
    const ip = '100.64.0.1';
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) {
      const result = await new Browser((i % 2 === 0 ? a : b).url).call(
        'auth.login',
        { account: uniqueName('spray'), password: 'Winter2026!' },
        from(ip),
      );
      expect(result.reason).toBe('BAD_CREDENTIALS');
    }
    // A fresh account, in its own browser: neither the pair nor the account rule stands in the way.
    const user = await newUser(a);
    const { ticket, browser: holder } = await ticketFor(a);
    expectFailures(await at(user.browser, a).call('auth.login', { account: user.account, password: PASSWORD }, from(ip)), WINDOW_S);
    expectFailures(await at(holder, b).call('weibo.bind', { ticket, account: user.account, password: PASSWORD }, from(ip)), WINDOW_S);
    expectFailures(await at(user.browser, a).call('weibo.unbind', { password: PASSWORD }, { token: user.token, ...from(ip) }), WINDOW_S);
    await a.stop();
    a = await start();
    expectFailures(await at(user.browser, a).call('auth.login', { account: user.account, password: PASSWORD }, from(ip)), WINDOW_S);
    // Another address is not affected.
    expect((await at(user.browser, a).call('auth.login', { account: user.account, password: PASSWORD }, from('100.64.0.2'))).reason).toBe(
      'ok',
    );
    clock.now += ATTEMPT_WINDOW_MS;
  });

  it('says which limit refused: checks still in flight (retry in 1 second) and failures (the whole wait) give different messages', async () => {
    const user = await newUser(a);
    // Five checks of this account still in flight, from five addresses (as on a third instance).
    const direct = openDatabase(db.config);
    try {
      const ids: number[] = [];
      for (let i = 0; i < ACCOUNT_SLOWDOWN_AFTER_FAILURES; i++) {
        const row = await direct.db
          .insertInto('password_attempts')
          .values({ account_key: accountKeyOf(user.account), ip: `192.0.2.${220 + i}`, at: clock.now })
          .executeTakeFirstOrThrow();
        ids.push(Number(row.insertId));
      }
      const inFlight = await new Browser(b.url).call('auth.login', { account: user.account, password: PASSWORD }, from('192.0.2.230'));
      expect(inFlight.status).toBe(429);
      expect(inFlight.reason).toBe('TOO_MANY_ATTEMPTS');
      expect(inFlight.body.error!.data.retryAfterSeconds).toBe(1);
      expect(inFlight.body.error!.message).toBe('Other sign-ins to this account are still being checked. Try again in 1 second.');
      // They turn out wrong.
      await direct.db.updateTable('password_attempts').set({ failed: 1 }).where('id', 'in', ids).execute();
      const failures = await new Browser(a.url).call('auth.login', { account: user.account, password: PASSWORD }, from('192.0.2.231'));
      expectFailures(failures, SPACING_S);
      expect(failures.body.error!.message).not.toBe(inFlight.body.error!.message);
      // The owner's browser is held by neither.
      expect(
        (await at(user.browser, b).call('auth.login', { account: user.account, password: PASSWORD }, from('192.0.2.232'))).reason,
      ).toBe('ok');
    } finally {
      await direct.close();
    }
    clock.now += ATTEMPT_WINDOW_MS;
  });

  it('without TRUST_PROXY, a made-up X-Forwarded-For does not give a client a new address', async () => {
    const direct = await start(false);
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) {
      const result = await new Browser(direct.url).call(
        'auth.login',
        { account: uniqueName('xff'), password: 'Winter2026!' },
        from(`10.${i}.0.1`),
      );
      expect(result.reason).toBe('BAD_CREDENTIALS');
    }
    // All 30 came from the loopback peer: that address is locked, whatever the header says.
    const user = await newUser(direct);
    expectFailures(await user.browser.call('auth.login', { account: user.account, password: PASSWORD }, from('10.200.0.1')), WINDOW_S);
    clock.now += ATTEMPT_WINDOW_MS;
  });
});
