/**
 * Session tokens, bind tickets and OAuth states in an attacker's hands: re-signed with another
 * secret, `alg: none`, another HS algorithm under our secret, edited claims, flipped bits, one
 * kind passed as the other. The cases already in auth.test.ts, weibo-login.test.ts and
 * weibo-binding.test.ts (expired, spent, other browser, other account, logout) are not repeated.
 */
import { expect, it } from 'vitest';
import { signToken } from '../../src/crypto/jwt.ts';
import { describeOnEachDatabase, reasonOf, TEST_SECRET } from '../support/harness.ts';
import { claimsOf, flippedChar, flippedSignature, OTHER_SECRET, resignedWith, tampered, unsigned } from '../support/forge.ts';

describeOnEachDatabase('forged session tokens, bind tickets and states', (h) => {
  async function pendingTicket(): Promise<string> {
    const login = await h.weiboLogin(await h.newWeiboUser());
    if (login.status !== 'bind_required') throw new Error('expected bind_required');
    return login.ticket;
  }

  it('refuses session tokens re-signed, unsigned, re-algorithmed or edited, and still takes the real one', async () => {
    const alice = await h.registerAccount();
    const bob = await h.registerAccount();
    const me = (token: string) => reasonOf(h.caller({ token }).auth.me());
    const forgeries = [
      resignedWith(alice.token, OTHER_SECRET),
      resignedWith(alice.token, OTHER_SECRET, 'HS256', { sub: bob.userId }),
      // Our own secret, but an algorithm we never issue: the algorithm is pinned on verify.
      resignedWith(alice.token, TEST_SECRET, 'HS512'),
      resignedWith(alice.token, TEST_SECRET, 'HS384'),
      ...unsigned(alice.token),
      ...unsigned(alice.token, { sub: bob.userId }),
      tampered(alice.token, { sub: bob.userId }),
      tampered(alice.token, { exp: (claimsOf(alice.token).exp as number) + 365 * 86_400 }),
      tampered(alice.token, { aud: 'session', iss: 'someone-else' }),
      flippedSignature(alice.token),
      alice.token.split('.').slice(0, 2).join('.'),
      `${alice.token}.extra`,
    ];
    for (const token of forgeries) expect(await me(token), token).toBe('UNAUTHENTICATED');
    expect((await h.caller({ token: alice.token }).auth.me()).user.id).toBe(alice.userId);
  });

  it('refuses a correctly signed token whose user does not own the session it names', async () => {
    // Defence in depth: even someone holding the secret cannot move Alice's session to Bob.
    const alice = await h.registerAccount();
    const bob = await h.registerAccount();
    const { jti, exp } = claimsOf(alice.token) as { jti: string; exp: number };
    const moved = signToken(TEST_SECRET, 'session', { subject: bob.userId, jwtid: jti }, exp * 1000, h.clock.now);
    expect(await reasonOf(h.caller({ token: moved }).auth.me())).toBe('UNAUTHENTICATED');
    const invented = signToken(TEST_SECRET, 'session', { subject: alice.userId, jwtid: 'f'.repeat(32) }, exp * 1000, h.clock.now);
    expect(await reasonOf(h.caller({ token: invented }).auth.me())).toBe('UNAUTHENTICATED');
  });

  it('refuses bind tickets re-signed, unsigned, re-algorithmed or edited, and keeps the real one usable', async () => {
    const account = await h.registerAccount();
    const ticket = await pendingTicket();
    const other = await pendingTicket();
    const bind = (t: string) => reasonOf(h.caller().weibo.bind({ ticket: t, account: account.account, password: account.password }));
    const register = (t: string) =>
      reasonOf(
        h.caller().weibo.register({ ticket: t, account: `forged_${Math.random().toString(36).slice(2, 10)}`, password: 'password-123' }),
      );
    const forgeries = [
      resignedWith(ticket, OTHER_SECRET),
      resignedWith(ticket, TEST_SECRET, 'HS512'),
      ...unsigned(ticket),
      // Another pending ticket's row under this ticket's signature.
      tampered(ticket, { jti: claimsOf(other).jti }),
      flippedSignature(ticket),
    ];
    for (const forged of forgeries) {
      expect(await bind(forged), forged).toBe('TICKET_INVALID');
      expect(await register(forged), forged).toBe('TICKET_INVALID');
    }
    // A ticket is not a session, in either direction.
    expect(await reasonOf(h.caller({ token: ticket }).auth.me())).toBe('UNAUTHENTICATED');
    expect(await bind(resignedWith(account.token, TEST_SECRET, 'HS256', { aud: 'weibo-bind' }))).toBe('TICKET_INVALID');
    expect(await h.count('identities')).toBe(0);
    expect(await bind(ticket)).toBe('resolved');
  });

  it('refuses a correctly signed ticket that names another uid than its row', async () => {
    const account = await h.registerAccount();
    const ticket = await pendingTicket();
    const { jti, exp } = claimsOf(ticket) as { jti: string; exp: number };
    const otherUid = signToken(TEST_SECRET, 'weibo-bind', { subject: '1000000001', jwtid: jti }, exp * 1000, h.clock.now);
    expect(await reasonOf(h.caller().weibo.bind({ ticket: otherUid, account: account.account, password: account.password }))).toBe(
      'TICKET_INVALID',
    );
  });

  it('refuses a state with one character changed, in another case, or padded, and still takes the real one', async () => {
    const uid = await h.newWeiboUser();
    const browser = h.newBrowser();
    const { state } = await h.caller({ browserId: browser }).weibo.authorizeUrl();
    const login = async (s: string) => reasonOf(h.caller({ browserId: browser }).weibo.login({ code: await h.mintCode(uid), state: s }));
    for (const forged of [
      flippedChar(state),
      flippedChar(state, 0),
      state.toUpperCase(),
      state.toLowerCase(),
      `${state} `,
      ` ${state}`,
      `${state}=`,
      state.slice(1),
    ]) {
      if (forged === state) continue;
      expect(await login(forged), forged).toBe('STATE_INVALID');
    }
    // A browser cookie that is almost this browser's is another browser.
    expect(await reasonOf(h.caller({ browserId: flippedChar(browser) }).weibo.login({ code: await h.mintCode(uid), state }))).toBe(
      'BROWSER_MISMATCH',
    );
    expect(await login(state)).toBe('resolved');
  });
});
