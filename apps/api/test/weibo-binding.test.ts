import { expect, it } from 'vitest';
import { handleRevocationHint } from '../src/modules/weibo-login/weibo-binding.service.ts';
import { describeOnEachDatabase, reasonOf } from './support/harness.ts';

describeOnEachDatabase('connect, unbind and revocation', (h) => {
  /** (2e) A connect needs a re-authentication first: the account's password. */
  async function connect(account: { token: string; password: string }, uid: string, browserId = h.newBrowser()) {
    const caller = h.caller({ browserId, token: account.token });
    await caller.account.reauthenticate({ password: account.password });
    const { url, state } = await caller.weibo.authorizeUrl({ intent: 'connect' });
    expect(new URL(url).searchParams.get('forcelogin')).toBe('true');
    return caller.weibo.connect({ code: await h.mintCode(uid), state });
  }

  it('connects Weibo to the signed-in account without a password, then signs in with it', async () => {
    const account = await h.registerAccount();
    const uid = await h.newWeiboUser('连接者');
    const { identity } = await connect(account, uid);
    expect(identity).toMatchObject({ provider: 'weibo', uid, screenName: '连接者' });
    const login = await h.weiboLogin(uid);
    expect(login.status === 'signed_in' && login.user.id).toBe(account.userId);
    // Connecting the same Weibo again is harmless.
    expect((await connect(account, uid)).identity.uid).toBe(uid);
  });

  it('needs a session for a connect URL, and a connect state of this very account', async () => {
    expect(await reasonOf(h.caller({ browserId: h.newBrowser() }).weibo.authorizeUrl({ intent: 'connect' }))).toBe('UNAUTHENTICATED');
    const alice = await h.registerAccount();
    const bob = await h.registerAccount();
    const uid = await h.newWeiboUser();
    const browser = h.newBrowser();
    await h.caller({ browserId: browser, token: alice.token }).account.reauthenticate({ password: alice.password });
    const { state } = await h.caller({ browserId: browser, token: alice.token }).weibo.authorizeUrl({ intent: 'connect' });
    expect(await reasonOf(h.caller({ browserId: browser, token: bob.token }).weibo.connect({ code: await h.mintCode(uid), state }))).toBe(
      'STATE_INVALID',
    );
    expect(await reasonOf(h.caller({ browserId: browser }).weibo.login({ code: await h.mintCode(uid), state }))).toBe('STATE_INVALID');
    const loginState = await h.caller({ browserId: browser }).weibo.authorizeUrl();
    expect(
      await reasonOf(
        h.caller({ browserId: browser, token: alice.token }).weibo.connect({ code: await h.mintCode(uid), state: loginState.state }),
      ),
    ).toBe('STATE_INVALID');
    expect(await reasonOf(h.caller({ browserId: browser }).weibo.connect({ code: await h.mintCode(uid), state }))).toBe('UNAUTHENTICATED');
    expect(
      (await h.caller({ browserId: browser, token: alice.token }).weibo.connect({ code: await h.mintCode(uid), state })).identity.uid,
    ).toBe(uid);
  });

  it('refuses to connect a Weibo bound elsewhere, or a second Weibo', async () => {
    const alice = await h.registerAccount();
    const bob = await h.registerAccount();
    const uid = await h.newWeiboUser();
    await connect(alice, uid);
    expect(await reasonOf(connect(bob, uid))).toBe('WEIBO_ALREADY_BOUND');
    expect(await reasonOf(connect(alice, await h.newWeiboUser()))).toBe('ACCOUNT_ALREADY_BOUND');
  });

  it('unbinds only with the right password, and records it', async () => {
    const account = await h.registerAccount();
    const uid = await h.newWeiboUser();
    await connect(account, uid);
    const me = h.caller({ token: account.token, ip: '192.0.2.50' });
    expect(await reasonOf(me.weibo.unbind({ password: 'wrong password' }))).toBe('BAD_CREDENTIALS');
    expect((await me.auth.me()).identities).toHaveLength(1);
    expect(await me.weibo.unbind({ password: account.password })).toEqual({ ok: true });
    expect((await me.auth.me()).identities).toEqual([]);
    expect((await h.weiboLogin(uid)).status).toBe('bind_required');
    const kinds = (await me.auth.activity()).events.map((e) => e.kind);
    expect(kinds.slice(0, 4)).toEqual(['weibo_unbound', 'password_failed', 'weibo_bound', 'reauthenticated']);
  });

  it('treats the cancel-authorization callback as a hint, removing a binding only when Weibo confirms', async () => {
    const account = await h.registerAccount();
    const uid = await h.newWeiboUser();
    await connect(account, uid);
    const source = h.weiboConfig.clientId;

    expect(await handleRevocationHint(h.deps, { source: 'someone-else', uid })).toBe('ignored');
    // Forged: the token is still alive at Weibo, so nothing changes.
    expect(await handleRevocationHint(h.deps, { source, uid })).toBe('kept');
    expect((await h.caller({ token: account.token }).auth.me()).identities).toHaveLength(1);

    await h.simControl.revokeTokens({ uid });
    expect(await handleRevocationHint(h.deps, { source, uid })).toBe('removed');
    expect((await h.caller({ token: account.token }).auth.me()).identities).toEqual([]);
    expect((await h.caller({ token: account.token }).auth.activity()).events[0]!.kind).toBe('weibo_revoked');
  });

  it('keeps the binding when Weibo cannot be asked', async () => {
    const account = await h.registerAccount();
    const uid = await h.newWeiboUser();
    await connect(account, uid);
    await h.simControl.revokeTokens({ uid });
    await h.simControl.addFault({ endpoint: 'get_token_info', mode: '502', times: 1 });
    expect(await handleRevocationHint(h.deps, { source: h.weiboConfig.clientId, uid })).toBe('kept');
    expect((await h.caller({ token: account.token }).auth.me()).identities).toHaveLength(1);
  });
});
