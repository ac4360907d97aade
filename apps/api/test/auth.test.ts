import { expect, it } from 'vitest';
import type { AppError } from '../src/errors.ts';
import { createUser } from '../src/modules/users/users.service.ts';
import {
  ACCOUNT_SLOWDOWN_AFTER_FAILURES,
  ACCOUNT_SLOWDOWN_SPACING_MS,
  ATTEMPT_WINDOW_MS,
  KNOWN_BROWSER_TTL_MS,
  MAX_FAILURES_PER_ADDRESS,
  MAX_FAILURES_PER_PAIR,
} from '../src/limits/bounds.ts';
import { describeOnEachDatabase, errorOf, reasonOf } from './support/harness.ts';

describeOnEachDatabase('accounts and sessions', (h) => {
  it('registers, signs in and describes the account', async () => {
    const result = await h.caller().auth.register({ account: 'Alice.Liu', password: 'correct horse 1' });
    expect(result).toMatchObject({
      status: 'signed_in',
      user: { account: 'Alice.Liu', displayName: null, avatarUrl: null },
      redirectTo: '/',
    });
    expect(new Date(result.session.expiresAt).getTime()).toBeGreaterThan(h.clock.now);
    const login = await h.caller().auth.login({ account: 'alice.liu', password: 'correct horse 1' });
    expect(login.user.id).toBe(result.user.id);
    const me = await h.caller({ token: login.session.token }).auth.me();
    expect(me).toEqual({ user: result.user, identities: [] });
  });

  it('takes new account names in ASCII and case-insensitively, and still signs in accounts made before in any script', async () => {
    await h.caller().auth.register({ account: 'MixedCase', password: 'password-123' });
    expect(await reasonOf(h.caller().auth.register({ account: 'mixedcase', password: 'password-123' }))).toBe('ACCOUNT_TAKEN');
    expect(await reasonOf(h.caller().auth.register({ account: '张三_2026', password: 'password-456' }))).toBe('INVALID_INPUT');
    // An account made before new names became ASCII-only keeps signing in, in any case.
    await createUser(h.db, 'Ärger_2026', await h.deps.hasher.hash('password-123'), { displayName: null, avatarUrl: null }, h.clock.now);
    expect((await h.caller().auth.login({ account: 'ärger_2026', password: 'password-123' })).status).toBe('signed_in');
    expect(await reasonOf(h.caller().auth.register({ account: 'Ärger_2026', password: 'password-123' }))).toBe('INVALID_INPUT');
  });

  it('validates accounts and passwords by the contract, counting password bytes', async () => {
    const register = (account: string, password: string) => reasonOf(h.caller().auth.register({ account, password }));
    expect(await register('ab', 'password-123')).toBe('INVALID_INPUT');
    expect(await register('a'.repeat(33), 'password-123')).toBe('INVALID_INPUT');
    expect(await register('bad name', 'password-123')).toBe('INVALID_INPUT');
    expect(await register("x' OR 1=1 --", 'password-123')).toBe('INVALID_INPUT');
    expect(await register('okname1', 'short')).toBe('INVALID_INPUT');
    // 24 CJK characters are 72 bytes: accepted. 25 are 75 bytes: refused, never cut.
    expect(await register('bytes_ok', '密'.repeat(24))).toBe('resolved');
    expect(await register('bytes_long', '密'.repeat(25))).toBe('INVALID_INPUT');
    expect(await register('bytes_long', 'x'.repeat(73))).toBe('INVALID_INPUT');
  });

  it('never accepts a password that only shares the first 72 bytes', async () => {
    const password = 'p'.repeat(72);
    await h.caller().auth.register({ account: 'long_pw', password });
    expect(await reasonOf(h.caller().auth.login({ account: 'long_pw', password: `${password}extra` }))).toBe('INVALID_INPUT');
  });

  it('gives unknown accounts and wrong passwords the same answer', async () => {
    const account = await h.registerAccount();
    const wrong = await errorOf(h.caller({ ip: '192.0.2.10' }).auth.login({ account: account.account, password: 'not the password' }));
    const unknown = await errorOf(h.caller({ ip: '192.0.2.11' }).auth.login({ account: 'no_such_user', password: 'not the password' }));
    expect(wrong.reason).toBe('BAD_CREDENTIALS');
    expect(unknown.reason).toBe('BAD_CREDENTIALS');
    expect(unknown.message).toBe(wrong.message);
    expect(unknown.code).toBe(wrong.code);
  });

  // ── Lock-out (docs/security.md "Lock-out") ──────────────────────────────────────────────────
  // h.caller() is the harness's usual browser, known to every account h.registerAccount() made;
  // a stranger is a browser that never signed in to anything.
  const stranger = (ip?: string) => h.caller({ browserId: h.newBrowser(), ip });
  const credentials = ({ account, password }: { account: string; password: string }) => ({ account, password });
  const WINDOW_S = ATTEMPT_WINDOW_MS / 1000;
  const SPACING_S = ACCOUNT_SLOWDOWN_SPACING_MS / 1000;

  /** Wrong passwords for the account from as many strangers at as many addresses: neither the
   * pair nor the address rule sees them together, only the account-wide slow-down does. */
  async function failFromEverywhere(account: string, failures = ACCOUNT_SLOWDOWN_AFTER_FAILURES) {
    for (let i = 0; i < failures; i++) {
      expect(await reasonOf(stranger().auth.login({ account, password: `wrong guess ${i}` }))).toBe('BAD_CREDENTIALS');
    }
  }

  it('pair lock: 5 wrong passwords from one address lock that address out of that account, even with the right password from a known browser', async () => {
    const account = await h.registerAccount();
    const laptop = h.newBrowser();
    expect((await h.caller({ browserId: laptop, ip: '192.0.2.11' }).auth.login(credentials(account))).status).toBe('signed_in');
    const ip = '192.0.2.10';
    for (let i = 0; i < MAX_FAILURES_PER_PAIR; i++) {
      expect(await reasonOf(h.caller({ ip }).auth.login({ account: account.account, password: `wrong password ${i}` }))).toBe(
        'BAD_CREDENTIALS',
      );
    }
    // The usual browser is known to the account, so the slow-down does not apply to it: the pair does.
    const locked = await errorOf(h.caller({ ip }).auth.login(credentials(account)));
    expect(locked.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(locked.details).toEqual({ retryAfterSeconds: WINDOW_S, limit: 'failures' });
    expect(locked.message).toBe(`Too many failed attempts. Try again in ${WINDOW_S} seconds.`);
    // Nobody else is locked: the same address signs in to another account, the same account signs
    // in from its other known browser elsewhere, and from this one elsewhere.
    const other = await h.registerAccount();
    expect((await h.caller({ ip }).auth.login(credentials(other))).status).toBe('signed_in');
    expect((await h.caller({ browserId: laptop, ip: '192.0.2.12' }).auth.login(credentials(account))).status).toBe('signed_in');
    expect((await h.caller({ ip: '192.0.2.13' }).auth.login(credentials(account))).status).toBe('signed_in');
    // The wait is the oldest failure's age-out, to the second.
    h.clock.advance(ATTEMPT_WINDOW_MS - 1000);
    expect((await errorOf(h.caller({ ip }).auth.login(credentials(account)))).details).toEqual({ retryAfterSeconds: 1, limit: 'failures' });
    h.clock.advance(1000);
    expect((await h.caller({ ip }).auth.login(credentials(account))).status).toBe('signed_in');
  });

  it('address lock: 30 wrong passwords from one address, whatever the accounts, lock that address out of every account', async () => {
    const ip = '198.18.0.1';
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) {
      expect(await reasonOf(h.caller({ ip }).auth.login({ account: `nobody_${i}`, password: 'wrong password' }))).toBe('BAD_CREDENTIALS');
    }
    // A fresh account, from its own known browser: no pair and no account rule stands in the way.
    const account = await h.registerAccount();
    const locked = await errorOf(h.caller({ ip }).auth.login(credentials(account)));
    expect(locked.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(locked.details).toEqual({ retryAfterSeconds: WINDOW_S, limit: 'failures' });
    expect((await h.caller({ ip: '198.18.0.2' }).auth.login(credentials(account))).status).toBe('signed_in');
    h.clock.advance(ATTEMPT_WINDOW_MS);
    expect((await h.caller({ ip }).auth.login(credentials(account))).status).toBe('signed_in');
  });

  it('account slow-down: after 5 failures from many addresses a stranger browser gets one check per 3 minutes, and is told the wait', async () => {
    const account = await h.registerAccount();
    // The first 5, at the same instant from 5 addresses, are all checked.
    await failFromEverywhere(account.account);
    const slowed = await errorOf(stranger().auth.login(credentials(account)));
    expect(slowed.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(slowed.details).toEqual({ retryAfterSeconds: SPACING_S, limit: 'failures' });
    expect(slowed.message).toBe(`Too many failed attempts. Try again in ${SPACING_S} seconds.`);
    // A refused attempt does not count: the wait runs from the last check, not from the last refusal.
    h.clock.advance(ACCOUNT_SLOWDOWN_SPACING_MS - 1000);
    expect((await errorOf(stranger().auth.login(credentials(account)))).details).toEqual({ retryAfterSeconds: 1, limit: 'failures' });
    h.clock.advance(1000);
    // One check is let through after the spacing…
    expect(await reasonOf(stranger().auth.login({ account: account.account, password: 'one more guess' }))).toBe('BAD_CREDENTIALS');
    // …and the next waits a whole spacing again, from any address and any stranger.
    expect((await errorOf(stranger().auth.login(credentials(account)))).details).toEqual({
      retryAfterSeconds: SPACING_S,
      limit: 'failures',
    });
    h.clock.advance(ACCOUNT_SLOWDOWN_SPACING_MS);
    expect((await stranger().auth.login(credentials(account))).status).toBe('signed_in');
    h.clock.advance(ATTEMPT_WINDOW_MS);
  });

  it('account slow-down: a guesser from a new address and browser every 20 s for an hour reaches bcrypt 5 times, then once per 3 minutes', async () => {
    const account = await h.registerAccount();
    const started = h.clock.now;
    const checkedAt: number[] = [];
    const hour = 60 * 60 * 1000;
    for (let t = 0; t < hour; t += 20_000) {
      h.clock.now = started + t;
      const reason = await reasonOf(stranger().auth.login({ account: account.account, password: `guess at ${t}` }));
      if (reason === 'BAD_CREDENTIALS') checkedAt.push(t);
      else expect(reason).toBe('TOO_MANY_ATTEMPTS');
    }
    const perQuarter = [0, 1, 2, 3].map(
      (q) => checkedAt.filter((t) => t >= q * ATTEMPT_WINDOW_MS && t < (q + 1) * ATTEMPT_WINDOW_MS).length,
    );
    console.log(
      `account slow-down on ${h.dialect}: ${checkedAt.length} of ${hour / 20_000} guesses checked in an hour, per quarter ${perQuarter.join(', ')}`,
    );
    // The first quarter: the 5 that start the slow-down, then one every 3 minutes (4 more);
    // after that 5 per 15 minutes, the rate a lock of 5 failures per 15 minutes would allow.
    expect(perQuarter[0]).toBe(ACCOUNT_SLOWDOWN_AFTER_FAILURES + ATTEMPT_WINDOW_MS / ACCOUNT_SLOWDOWN_SPACING_MS - 1);
    for (const later of perQuarter.slice(1)) expect(later).toBe(ATTEMPT_WINDOW_MS / ACCOUNT_SLOWDOWN_SPACING_MS);
    for (let i = ACCOUNT_SLOWDOWN_AFTER_FAILURES; i < checkedAt.length; i++)
      expect(checkedAt[i]! - checkedAt[i - 1]!).toBeGreaterThanOrEqual(ACCOUNT_SLOWDOWN_SPACING_MS);
    // The owner's own browser was never held up meanwhile.
    expect((await h.caller().auth.login(credentials(account))).status).toBe('signed_in');
    h.clock.advance(ATTEMPT_WINDOW_MS);
  });

  it("the owner's known browser signs in with the right password during the slow-down; a stranger, a browser known to another account and Weibo sign-in are as they should be", async () => {
    const uid = await h.newWeiboUser();
    const bindRequired = await h.weiboLogin(uid);
    if (bindRequired.status !== 'bind_required') throw new Error('expected bind_required');
    const account = { account: `slow_${uid}`, password: 'correct horse 1' };
    await h.caller().weibo.register({ ticket: bindRequired.ticket, ...account });
    const elsewhere = h.newBrowser();
    await h.caller({ browserId: elsewhere }).auth.register({ account: `other_${uid}`, password: 'correct horse 1' });
    await failFromEverywhere(account.account);
    expect(await reasonOf(stranger().auth.login(credentials(account)))).toBe('TOO_MANY_ATTEMPTS');
    // weibo.register signed the usual browser in with this password: it is known, wherever it is.
    expect((await h.caller().auth.login(credentials(account))).status).toBe('signed_in');
    expect((await h.caller({ ip: '192.0.2.40' }).auth.login(credentials(account))).status).toBe('signed_in');
    // Known to another account is not known to this one; no cookie at all is a new browser.
    expect(await reasonOf(h.caller({ browserId: elsewhere }).auth.login(credentials(account)))).toBe('TOO_MANY_ATTEMPTS');
    expect(await reasonOf(h.caller({ browserId: null }).auth.login(credentials(account)))).toBe('TOO_MANY_ATTEMPTS');
    // Signing in with Weibo takes no password: a new browser signs in at once.
    const viaWeibo = await h.weiboLogin(uid, h.newBrowser());
    expect(viaWeibo.status).toBe('signed_in');
    h.clock.advance(ATTEMPT_WINDOW_MS);
  });

  it('a browser becomes known to an account by signing in to it with the password (auth.login, weibo.bind, weibo.register), not by a Weibo login, and is forgotten 90 days after', async () => {
    const account = await h.registerAccount();
    const [viaLogin, viaBind, viaWeiboLogin, viaWeiboRegister] = [h.newBrowser(), h.newBrowser(), h.newBrowser(), h.newBrowser()];
    expect((await h.caller({ browserId: viaLogin }).auth.login(credentials(account))).status).toBe('signed_in');
    const uid = await h.newWeiboUser();
    const toBind = await h.weiboLogin(uid, viaBind);
    if (toBind.status !== 'bind_required') throw new Error('expected bind_required');
    expect((await h.caller({ browserId: viaBind }).weibo.bind({ ticket: toBind.ticket, ...credentials(account) })).status).toBe(
      'signed_in',
    );
    expect((await h.weiboLogin(uid, viaWeiboLogin)).status).toBe('signed_in');
    const toRegister = await h.weiboLogin(await h.newWeiboUser(), viaWeiboRegister);
    if (toRegister.status !== 'bind_required') throw new Error('expected bind_required');
    const second = { account: `second_${uid}`, password: 'correct horse 2' };
    await h.caller({ browserId: viaWeiboRegister }).weibo.register({ ticket: toRegister.ticket, ...second });

    await failFromEverywhere(account.account);
    await failFromEverywhere(second.account);
    const outcome = async (browserId: string, who: { account: string; password: string }) =>
      reasonOf(h.caller({ browserId }).auth.login(credentials(who)));
    expect(await outcome(viaLogin, account)).toBe('resolved');
    expect(await outcome(viaBind, account)).toBe('resolved');
    expect(await outcome(viaWeiboLogin, account)).toBe('TOO_MANY_ATTEMPTS');
    expect(await outcome(viaWeiboRegister, account)).toBe('TOO_MANY_ATTEMPTS');
    expect(await outcome(viaWeiboRegister, second)).toBe('resolved');
    expect(await outcome(viaLogin, second)).toBe('TOO_MANY_ATTEMPTS');

    // 90 days without a password sign-in, and the browser is a stranger again; each sign-in
    // with the password starts the 90 days anew (viaBind's last one is 15 minutes younger).
    h.clock.advance(ATTEMPT_WINDOW_MS);
    expect(await outcome(viaBind, account)).toBe('resolved');
    h.clock.advance(KNOWN_BROWSER_TTL_MS - ATTEMPT_WINDOW_MS);
    await failFromEverywhere(account.account);
    expect(await outcome(viaLogin, account)).toBe('TOO_MANY_ATTEMPTS');
    expect(await outcome(viaBind, account)).toBe('resolved');
    h.clock.advance(ATTEMPT_WINDOW_MS);
  });

  it('cuts parallel guesses from many addresses at 5 checked, the rest refused', async () => {
    const account = await h.registerAccount();
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => errorOf(stranger().auth.login({ account: account.account, password: `guess number ${i}` }))),
    );
    expect(outcomes.filter((e) => e.reason === 'BAD_CREDENTIALS')).toHaveLength(ACCOUNT_SLOWDOWN_AFTER_FAILURES);
    for (const refused of outcomes.filter((e) => e.reason !== 'BAD_CREDENTIALS')) {
      expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
      // Still in flight when counted (retry in a second), or already failed (the spacing).
      expect([`in_flight:1`, `failures:${SPACING_S}`]).toContain(`${refused.details.limit}:${refused.details.retryAfterSeconds}`);
    }
    expect((await errorOf(stranger().auth.login(credentials(account)))).details).toEqual({
      retryAfterSeconds: SPACING_S,
      limit: 'failures',
    });
    h.clock.advance(ATTEMPT_WINDOW_MS);
  });

  it('asks a sign-in held up only by checks still in flight to retry in 1 second (in_flight); once they failed, the whole wait (failures)', async () => {
    const account = await h.registerAccount();
    const accountKey = account.account.toLowerCase();
    // Five checks of this account in flight from five addresses (on other instances, say).
    const pending = [];
    for (let i = 0; i < ACCOUNT_SLOWDOWN_AFTER_FAILURES; i++) {
      const row = await h.db
        .insertInto('password_attempts')
        .values({ account_key: accountKey, ip: `192.0.2.${60 + i}`, at: h.clock.now })
        .executeTakeFirstOrThrow();
      pending.push(Number(row.insertId));
    }
    const inFlight = await errorOf(stranger().auth.login(credentials(account)));
    expect(inFlight.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(inFlight.details).toEqual({ retryAfterSeconds: 1, limit: 'in_flight' });
    expect(inFlight.message).toBe('Other sign-ins to this account are still being checked. Try again in 1 second.');
    expect((await h.caller().auth.login(credentials(account))).status).toBe('signed_in');
    // The same five turn out wrong: now the stranger waits the spacing, and is told why.
    await h.db.updateTable('password_attempts').set({ failed: 1 }).where('id', 'in', pending).execute();
    const failures = await errorOf(stranger().auth.login(credentials(account)));
    expect(failures.details).toEqual({ retryAfterSeconds: SPACING_S, limit: 'failures' });
    expect(failures.message).not.toBe(inFlight.message);
    h.clock.advance(ATTEMPT_WINDOW_MS);
  });

  it('lets a burst of right passwords from strangers through up to the slow-down, the rest asked to retry in a second', async () => {
    const account = await h.registerAccount();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        stranger()
          .auth.login(credentials(account))
          .then(
            () => null,
            (error: unknown) => error as AppError,
          ),
      ),
    );
    const refused = results.filter((r) => r !== null);
    expect(results.length - refused.length).toBeGreaterThanOrEqual(ACCOUNT_SLOWDOWN_AFTER_FAILURES);
    for (const error of refused)
      expect(error).toMatchObject({ reason: 'TOO_MANY_ATTEMPTS', details: { retryAfterSeconds: 1, limit: 'in_flight' } });
    // Nothing failed: the next stranger is not held up at all.
    expect((await stranger().auth.login(credentials(account))).status).toBe('signed_in');
  });

  it('still gives the whole wait once real failures fill a pair, and forgets checks that never finished', async () => {
    const account = await h.registerAccount();
    const accountKey = account.account.toLowerCase();
    const ip = '192.0.2.180';
    // A check cut off mid-way (crash, outage) leaves a pending attempt behind.
    await h.db.insertInto('password_attempts').values({ account_key: accountKey, ip, at: h.clock.now }).execute();
    for (let i = 0; i < MAX_FAILURES_PER_PAIR - 1; i++) {
      expect(await reasonOf(h.caller({ ip }).auth.login({ account: account.account, password: 'wrong password' }))).toBe('BAD_CREDENTIALS');
    }
    // Four failures and the pending one fill the pair: refused, but only for a moment.
    expect((await errorOf(h.caller({ ip }).auth.login(credentials(account)))).details).toEqual({
      retryAfterSeconds: 1,
      limit: 'in_flight',
    });
    h.clock.advance(61_000);
    expect((await h.caller({ ip }).auth.login(credentials(account))).status).toBe('signed_in');
    expect(await reasonOf(h.caller({ ip }).auth.login({ account: account.account, password: 'wrong password' }))).toBe('BAD_CREDENTIALS');
    const locked = await errorOf(h.caller({ ip }).auth.login(credentials(account)));
    expect(locked.details).toEqual({ retryAfterSeconds: WINDOW_S - 61, limit: 'failures' });
    h.clock.advance(ATTEMPT_WINDOW_MS);
  });

  it('ends a session at logout and every session at logout everywhere', async () => {
    const account = await h.registerAccount();
    const second = await h.caller().auth.login({ account: account.account, password: account.password });
    const third = await h.caller().auth.login({ account: account.account, password: account.password });
    await h.caller({ token: account.token }).auth.logout();
    expect(await reasonOf(h.caller({ token: account.token }).auth.me())).toBe('UNAUTHENTICATED');
    expect((await h.caller({ token: second.session.token }).auth.me()).user.id).toBe(account.userId);
    await h.caller({ token: second.session.token }).auth.logout({ everywhere: true });
    expect(await reasonOf(h.caller({ token: second.session.token }).auth.me())).toBe('UNAUTHENTICATED');
    expect(await reasonOf(h.caller({ token: third.session.token }).auth.me())).toBe('UNAUTHENTICATED');
  });

  it('refuses missing, malformed, forged, expired and other-audience tokens', async () => {
    const account = await h.registerAccount();
    expect(await reasonOf(h.caller().auth.me())).toBe('UNAUTHENTICATED');
    expect(await reasonOf(h.caller({ token: 'garbage' }).auth.me())).toBe('UNAUTHENTICATED');
    const [header, payload] = account.token.split('.');
    expect(await reasonOf(h.caller({ token: `${header}.${payload}.` }).auth.me())).toBe('UNAUTHENTICATED');
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(await reasonOf(h.caller({ token: `${none}.${payload}.` }).auth.me())).toBe('UNAUTHENTICATED');
    h.clock.advance(7 * 24 * 60 * 60 * 1000 + 1000);
    expect(await reasonOf(h.caller({ token: account.token }).auth.me())).toBe('UNAUTHENTICATED');
  });

  it('keeps an activity trail, newest first, with address and agent', async () => {
    const account = await h.registerAccount();
    await reasonOf(h.caller({ ip: '192.0.2.77' }).auth.login({ account: account.account, password: 'wrong password' }));
    const login = await h.caller({ ip: '192.0.2.78' }).auth.login({ account: account.account, password: account.password });
    await h.caller({ token: login.session.token }).auth.logout();
    const { events } = await h.caller({ token: account.token }).auth.activity();
    expect(events.map((e) => e.kind)).toEqual(['logout', 'sign_in_password', 'password_failed', 'sign_in_password', 'account_created']);
    expect(events[1]).toMatchObject({ ip: '192.0.2.78', userAgent: 'vitest' });
    expect(Number.isNaN(Date.parse(events[0]!.at))).toBe(false);
  });
});
