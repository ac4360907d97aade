import { expect, it } from 'vitest';
import { MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_IP } from '../src/modules/passwords/password-limiter.ts';
import { describeOnEachDatabase, errorOf, reasonOf } from './support/harness.ts';

describeOnEachDatabase('accounts and sessions', (h) => {

  it('registers, signs in and describes the account', async () => {
    const result = await h.caller().auth.register({ account: 'Alice.Liu', password: 'correct horse 1' });
    expect(result).toMatchObject({ status: 'signed_in', user: { account: 'Alice.Liu', displayName: null, avatarUrl: null }, redirectTo: '/' });
    expect(new Date(result.session.expiresAt).getTime()).toBeGreaterThan(h.clock.now);
    const login = await h.caller().auth.login({ account: 'alice.liu', password: 'correct horse 1' });
    expect(login.user.id).toBe(result.user.id);
    const me = await h.caller({ token: login.session.token }).auth.me();
    expect(me).toEqual({ user: result.user, identities: [] });
  });

  it('takes account names case-insensitively and in any script', async () => {
    await h.caller().auth.register({ account: '张三_2026', password: 'password-123' });
    expect(await reasonOf(h.caller().auth.register({ account: '张三_2026', password: 'password-456' }))).toBe('ACCOUNT_TAKEN');
    await h.caller().auth.register({ account: 'MixedCase', password: 'password-123' });
    expect(await reasonOf(h.caller().auth.register({ account: 'mixedcase', password: 'password-123' }))).toBe('ACCOUNT_TAKEN');
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

  it('locks an account after repeated failures, refuses even the right password, and says when to retry', async () => {
    const account = await h.registerAccount();
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT; i++) {
      expect(await reasonOf(h.caller({ ip: `192.0.2.${100 + i}` }).auth.login({ account: account.account, password: 'wrong password' }))).toBe('BAD_CREDENTIALS');
    }
    const locked = await errorOf(h.caller({ ip: '192.0.2.200' }).auth.login({ account: account.account, password: account.password }));
    expect(locked.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(locked.details.retryAfterSeconds).toBeGreaterThan(0);
    expect(locked.details.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
    h.clock.advance(15 * 60 * 1000 + 1);
    expect((await h.caller({ ip: '192.0.2.200' }).auth.login({ account: account.account, password: account.password })).status).toBe('signed_in');
  });

  it('counts parallel guesses against each other', async () => {
    const account = await h.registerAccount();
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => reasonOf(h.caller({ ip: `192.0.2.${30 + i}` }).auth.login({ account: account.account, password: `guess number ${i}` }))),
    );
    expect(guesses.filter((r) => r === 'BAD_CREDENTIALS').length).toBeLessThanOrEqual(MAX_FAILURES_PER_ACCOUNT);
    expect(guesses.filter((r) => r === 'TOO_MANY_ATTEMPTS').length).toBeGreaterThanOrEqual(12 - MAX_FAILURES_PER_ACCOUNT);
    h.clock.advance(15 * 60 * 1000 + 1);
  });

  it('asks sign-ins held up only by others in flight to retry at once, not after the whole window', async () => {
    const account = await h.registerAccount();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => h.caller({ ip: `192.0.2.${150 + i}` }).auth.login({ account: account.account, password: account.password }).then(
        () => null,
        (error: unknown) => error as { reason: string; details: { retryAfterSeconds: number } },
      )),
    );
    const refused = results.filter((r) => r !== null);
    for (const error of refused) expect(error).toMatchObject({ reason: 'TOO_MANY_ATTEMPTS', details: { retryAfterSeconds: 1 } });
    expect((await h.caller({ ip: '192.0.2.170' }).auth.login({ account: account.account, password: account.password })).status).toBe('signed_in');
  });

  it('still gives the whole wait once real failures fill the limit, and forgets checks that never finished', async () => {
    const account = await h.registerAccount();
    const accountKey = account.account.toLowerCase();
    // A check cut off mid-way (crash, outage) leaves a pending attempt behind.
    await h.db.insertInto('password_attempts').values({ account_key: accountKey, ip: '192.0.2.180', at: h.clock.now }).execute();
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT - 1; i++) {
      expect(await reasonOf(h.caller({ ip: `192.0.2.${181 + i}` }).auth.login({ account: account.account, password: 'wrong password' }))).toBe('BAD_CREDENTIALS');
    }
    // Four failures and the pending one fill the limit: refused, but only for a moment.
    expect((await errorOf(h.caller({ ip: '192.0.2.190' }).auth.login({ account: account.account, password: account.password }))).details.retryAfterSeconds).toBe(1);
    h.clock.advance(61_000);
    expect((await h.caller({ ip: '192.0.2.191' }).auth.login({ account: account.account, password: account.password })).status).toBe('signed_in');
    expect(await reasonOf(h.caller({ ip: '192.0.2.192' }).auth.login({ account: account.account, password: 'wrong password' }))).toBe('BAD_CREDENTIALS');
    const locked = await errorOf(h.caller({ ip: '192.0.2.193' }).auth.login({ account: account.account, password: account.password }));
    expect(locked.details.retryAfterSeconds).toBeGreaterThan(60);
    h.clock.advance(15 * 60 * 1000 + 1);
  });

  it('limits failures per client address across accounts', async () => {
    const ip = '198.18.0.1';
    for (let i = 0; i < MAX_FAILURES_PER_IP; i++) {
      expect(await reasonOf(h.caller({ ip }).auth.login({ account: `nobody_${i}`, password: 'wrong password' }))).toBe('BAD_CREDENTIALS');
    }
    const account = await h.registerAccount();
    expect(await reasonOf(h.caller({ ip }).auth.login({ account: account.account, password: account.password }))).toBe('TOO_MANY_ATTEMPTS');
    expect((await h.caller({ ip: '198.18.0.2' }).auth.login({ account: account.account, password: account.password })).status).toBe('signed_in');
    h.clock.advance(15 * 60 * 1000 + 1);
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
