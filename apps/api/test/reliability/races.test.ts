/**
 * Races settled by the database, 30 at a time: one account per name however many register it at
 * once, every parallel Weibo login of one bound user signed in, one binding per Weibo uid across
 * connects, and no call answered with anything but a reason of the contract (never a 500).
 * The 30 parallel binds of one uid and the single-use state and ticket races are in
 * weibo-login.test.ts.
 */
import { expect, it } from 'vitest';
import {
  ACCOUNT_SLOWDOWN_AFTER_FAILURES,
  ATTEMPT_WINDOW_MS,
  MAX_FAILURES_PER_ADDRESS,
  MAX_FAILURES_PER_PAIR,
} from '../../src/limits/bounds.ts';
import { describeOnEachDatabase, type Harness, reasonOf } from '../support/harness.ts';

const N = 30;

/** 'ok' or the reason of each call, all started together. */
async function race(calls: (() => Promise<unknown>)[]): Promise<string[]> {
  return Promise.all(
    calls.map(async (call) => {
      const reason = await reasonOf(call());
      return reason === 'resolved' ? 'ok' : reason;
    }),
  );
}

const tally = (outcomes: string[]) =>
  outcomes.reduce<Record<string, number>>((counts, o) => ({ ...counts, [o]: (counts[o] ?? 0) + 1 }), {});

/** A bind ticket for uid, issued to (and only good in) `browser`. */
async function ticketFor(h: Harness, uid: string, browser = h.usualBrowser): Promise<string> {
  const login = await h.weiboLogin(uid, browser);
  if (login.status !== 'bind_required') throw new Error('expected bind_required');
  return login.ticket;
}

describeOnEachDatabase('races', (h) => {
  it(`${N} parallel auth.register of one account name (in any case) make one account`, async () => {
    const name = `race_reg_${Date.now().toString(36)}`;
    const outcomes = await race(
      Array.from(
        { length: N },
        (_, i) => () =>
          h.caller({ ip: `192.0.2.${i}` }).auth.register({ account: i % 2 ? name : name.toUpperCase(), password: `password-${i}` }),
      ),
    );
    expect(tally(outcomes)).toEqual({ ok: 1, ACCOUNT_TAKEN: N - 1 });
    expect(await h.db.selectFrom('users').where('account_key', '=', name).select('id').execute()).toHaveLength(1);
  });

  it(`${N} parallel weibo.register of one account name with ${N} Weibo users make one account and one binding`, async () => {
    const name = `race_wreg_${Date.now().toString(36)}`;
    const uids = await Promise.all(Array.from({ length: N }, () => h.newWeiboUser()));
    // 30 people, each in a browser of their own (a ticket is good only in the browser it came back to).
    const browsers = uids.map(() => h.newBrowser());
    const tickets = await Promise.all(uids.map((uid, i) => ticketFor(h, uid, browsers[i])));
    const outcomes = await race(
      tickets.map(
        (ticket, i) => () => h.caller({ browserId: browsers[i] }).weibo.register({ ticket, account: name, password: 'password-123' }),
      ),
    );
    expect(tally(outcomes)).toEqual({ ok: 1, ACCOUNT_TAKEN: N - 1 });
    const users = await h.db.selectFrom('users').where('account_key', '=', name).select('id').execute();
    expect(users).toHaveLength(1);
    expect(await h.db.selectFrom('identities').where('user_id', '=', users[0]!.id).select('id').execute()).toHaveLength(1);
    // The losers' tickets were not spent: each can still register under another name.
    const loser = outcomes.indexOf('ACCOUNT_TAKEN');
    expect(
      (
        await h
          .caller({ browserId: browsers[loser] })
          .weibo.register({ ticket: tickets[loser]!, account: `${name}_2`, password: 'password-123' })
      ).status,
    ).toBe('signed_in');
  });

  it(`${N} parallel Weibo logins of one bound user all sign in, each with its own session`, async () => {
    const uid = await h.newWeiboUser('并发登录');
    const registered = await h
      .caller()
      .weibo.register({ ticket: await ticketFor(h, uid), account: `race_login_${uid}`, password: 'password-123' });
    // Weibo renames the user meanwhile, so every login also wants to update the same rows.
    await h.simControl.updateUser(uid, { screenName: '改名之后' });
    const prepared = await Promise.all(
      Array.from({ length: N }, async () => {
        const browser = h.newBrowser();
        const { state } = await h.caller({ browserId: browser }).weibo.authorizeUrl();
        return { browser, state, code: await h.mintCode(uid) };
      }),
    );
    const results = await Promise.allSettled(
      prepared.map(({ browser, state, code }) => h.caller({ browserId: browser }).weibo.login({ code, state })),
    );
    const outcomes = await Promise.all(
      results.map((r) => (r.status === 'fulfilled' ? r.value.status : reasonOf(Promise.reject(r.reason)))),
    );
    expect(tally(outcomes)).toEqual({ signed_in: N });
    const tokens = new Set(results.map((r) => (r.status === 'fulfilled' && r.value.status === 'signed_in' ? r.value.session.token : '')));
    expect(tokens.size).toBe(N);
    for (const r of results)
      if (r.status === 'fulfilled' && r.value.status === 'signed_in')
        expect(r.value.user).toMatchObject({ id: registered.user.id, displayName: '改名之后' });
    const sessions = await h.db.selectFrom('sessions').where('user_id', '=', Number(registered.user.id)).select('id').execute();
    expect(sessions).toHaveLength(N + 1);
  });

  it(`${N} parallel connects of one Weibo uid from ${N} accounts bind it once`, async () => {
    const uid = await h.newWeiboUser();
    const accounts = await Promise.all(Array.from({ length: N }, () => h.registerAccount()));
    const prepared = await Promise.all(
      accounts.map(async (account) => {
        const browser = h.newBrowser();
        await h.caller({ browserId: browser, token: account.token }).account.reauthenticate({ password: account.password });
        const { state } = await h.caller({ browserId: browser, token: account.token }).weibo.authorizeUrl({ intent: 'connect' });
        return { account, browser, state, code: await h.mintCode(uid) };
      }),
    );
    const outcomes = await race(
      prepared.map(
        ({ account, browser, state, code }) =>
          () =>
            h.caller({ browserId: browser, token: account.token }).weibo.connect({ code, state }),
      ),
    );
    expect(tally(outcomes)).toEqual({ ok: 1, WEIBO_ALREADY_BOUND: N - 1 });
    expect(await h.db.selectFrom('identities').where('provider_uid', '=', uid).select('id').execute()).toHaveLength(1);
  });

  it('a burst of right passwords is cut at the limits, not refused whole, and parallel guesses stay within them', async () => {
    // Password checks in flight count against the limits (a check cannot be known right before it
    // is made), but only those admitted earlier: the first ones within the limit go ahead.
    const account = await h.registerAccount();
    const credentials = { account: account.account, password: account.password };
    const strangers = await race(
      Array.from({ length: 8 }, (_, i) => () => h.caller({ ip: `10.1.${i}.1`, browserId: h.newBrowser() }).auth.login(credentials)),
    );
    expect(strangers.filter((o) => o === 'ok').length, JSON.stringify(tally(strangers))).toBeGreaterThanOrEqual(
      ACCOUNT_SLOWDOWN_AFTER_FAILURES,
    );
    // The owner's known browser is not held by the account-wide count at all: 8 at once, 8 in.
    const owner = await race(Array.from({ length: 8 }, (_, i) => () => h.caller({ ip: `10.1.${i}.2` }).auth.login(credentials)));
    expect(tally(owner)).toEqual({ ok: 8 });
    // An office behind one address: the first 30 sign-ins at once go ahead.
    // (Registered one after another: the hasher takes at most 32 new hashes waiting at once.)
    const office = [];
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS + 10; i++) office.push(await h.registerAccount());
    const nat = await race(
      office.map((a) => () => h.caller({ ip: '100.64.9.9' }).auth.login({ account: a.account, password: a.password })),
    );
    expect(nat.filter((o) => o === 'ok').length, JSON.stringify(tally(nat))).toBeGreaterThanOrEqual(MAX_FAILURES_PER_ADDRESS);

    // 40 guesses at once from 40 addresses and browsers: the account-wide count lets 5 be checked.
    const victim = await h.registerAccount();
    const guesses = await race(
      Array.from(
        { length: 40 },
        (_, i) => () =>
          h.caller({ ip: `10.2.${i}.1`, browserId: h.newBrowser() }).auth.login({ account: victim.account, password: `guess number ${i}` }),
      ),
    );
    expect(guesses.filter((o) => o === 'BAD_CREDENTIALS').length, JSON.stringify(tally(guesses))).toBeLessThanOrEqual(
      ACCOUNT_SLOWDOWN_AFTER_FAILURES,
    );
    expect(
      await reasonOf(
        h.caller({ ip: '10.3.0.1', browserId: h.newBrowser() }).auth.login({ account: victim.account, password: victim.password }),
      ),
    ).toBe('TOO_MANY_ATTEMPTS');
    // 40 at once from one address, even in the owner's own browser: the pair lets 5 be checked.
    const pairVictim = await h.registerAccount();
    const fromOne = await race(
      Array.from(
        { length: 40 },
        (_, i) => () => h.caller({ ip: '10.4.0.1' }).auth.login({ account: pairVictim.account, password: `guess number ${i}` }),
      ),
    );
    expect(fromOne.filter((o) => o === 'BAD_CREDENTIALS').length, JSON.stringify(tally(fromOne))).toBeLessThanOrEqual(
      MAX_FAILURES_PER_PAIR,
    );
    expect(await reasonOf(h.caller({ ip: '10.4.0.1' }).auth.login({ account: pairVictim.account, password: pairVictim.password }))).toBe(
      'TOO_MANY_ATTEMPTS',
    );
    // Meanwhile the owners, in their own browsers elsewhere, sign in.
    expect(await reasonOf(h.caller({ ip: '10.3.0.2' }).auth.login({ account: victim.account, password: victim.password }))).toBe(
      'resolved',
    );
    expect(await reasonOf(h.caller({ ip: '10.4.0.2' }).auth.login({ account: pairVictim.account, password: pairVictim.password }))).toBe(
      'resolved',
    );
    h.clock.advance(ATTEMPT_WINDOW_MS + 1);
  });

  it(`parallel unbinds and ${N} logouts of one account settle cleanly`, async () => {
    const uid = await h.newWeiboUser();
    const registered = await h
      .caller()
      .weibo.register({ ticket: await ticketFor(h, uid), account: `race_unbind_${uid}`, password: 'password-123' });
    // The usual browser registered the account, so it is known to it: neither these 30 sign-ins
    // nor the unbinds' password checks are held by the account-wide count (docs/security.md
    // "Lock-out"), and each comes from an address of its own, so no pair fills either.
    const sessions = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        h.caller({ ip: `192.0.2.${i}` }).auth.login({ account: `race_unbind_${uid}`, password: 'password-123' }),
      ),
    );
    // Five unbinds (password checks in the owner's browser, each from an address of its own), the rest logouts.
    const unbinds = 5;
    const outcomes = await race([
      ...sessions
        .slice(0, unbinds)
        .map((s, i) => () => h.caller({ token: s.session.token, ip: `198.51.100.${i}` }).weibo.unbind({ password: 'password-123' })),
      ...sessions
        .slice(unbinds)
        .map((s, i) => () => h.caller({ token: s.session.token, ip: `198.51.100.${100 + i}` }).auth.logout({ everywhere: i % 3 === 0 })),
    ]);
    // An unbind after a logout-everywhere finds its session gone: that is the only other answer.
    expect(
      outcomes.every((o) => o === 'ok' || o === 'UNAUTHENTICATED'),
      JSON.stringify(tally(outcomes)),
    ).toBe(true);
    expect(await h.db.selectFrom('identities').where('user_id', '=', Number(registered.user.id)).select('id').execute()).toHaveLength(
      outcomes.slice(0, unbinds).includes('ok') ? 0 : 1,
    );
    expect(await h.db.selectFrom('sessions').where('user_id', '=', Number(registered.user.id)).select('id').execute()).toHaveLength(0);
  });
});
