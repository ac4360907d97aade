/**
 * (2e) The Weibo return: weibo.finish with each intent, the authorize URL for phones and in-app
 * browsers, BROWSER_MISMATCH, and WEIBO_SIGNUP (see weibo-signup.test.ts for `closed`).
 */
import { MOBILE_AUTHORIZE_PATH } from '@weibo-login/weibo-sim';
import { expect, it } from 'vitest';
import { describeOnEachDatabase, reasonOf } from './support/harness.ts';

const PHONE = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';
const WECHAT =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN';
const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

describeOnEachDatabase('weibo.finish and the authorize URL', (h) => {
  const pathOf = (url: string) => new URL(url).pathname;
  const param = (url: string, name: string) => new URL(url).searchParams.get(name);

  it('sends phones and in-app browsers to the phone page with display=mobile, desktops to the default page', async () => {
    for (const userAgent of [PHONE, WECHAT]) {
      const { url, intent } = await h.caller({ userAgent, browserId: h.newBrowser() }).weibo.authorizeUrl();
      expect(pathOf(url), userAgent).toBe(MOBILE_AUTHORIZE_PATH);
      expect(param(url, 'display')).toBe('mobile');
      expect(intent).toBe('login');
    }
    const desktop = await h.caller({ userAgent: DESKTOP, browserId: h.newBrowser() }).weibo.authorizeUrl();
    expect(pathOf(desktop.url)).toBe('/oauth2/authorize');
    expect(param(desktop.url, 'display')).toBeNull();
    // Asked for explicitly, either way.
    const asked = await h.caller({ userAgent: DESKTOP, browserId: h.newBrowser() }).weibo.authorizeUrl({ display: 'mobile' });
    expect(param(asked.url, 'display')).toBe('mobile');
    const notAsked = await h.caller({ userAgent: WECHAT, browserId: h.newBrowser() }).weibo.authorizeUrl({ display: 'default' });
    expect(pathOf(notAsked.url)).toBe('/oauth2/authorize');
  });

  it('asks Weibo for a fresh sign-in with forceLogin, and never for a plain login otherwise', async () => {
    const caller = h.caller({ browserId: h.newBrowser() });
    expect(param((await caller.weibo.authorizeUrl({ forceLogin: true })).url, 'forcelogin')).toBe('true');
    expect(param((await caller.weibo.authorizeUrl()).url, 'forcelogin')).toBeNull();
  });

  it('finishes a login state: the bind panel for a new uid, then a sign-in once bound', async () => {
    const uid = await h.newWeiboUser('完成者');
    const caller = h.caller();
    const first = await caller.weibo.finish({ code: await h.mintCode(uid), state: (await caller.weibo.authorizeUrl()).state });
    expect(first).toMatchObject({ status: 'bind_required', profile: { uid, screenName: '完成者' }, canRegister: true });
    if (first.status !== 'bind_required') throw new Error('unreachable');
    const account = await h.registerAccount();
    await caller.weibo.bind({ ticket: first.ticket, account: account.account, password: account.password });
    const second = await caller.weibo.finish({ code: await h.mintCode(uid), state: (await caller.weibo.authorizeUrl()).state });
    expect(second).toMatchObject({ status: 'signed_in', user: { id: account.userId, hasPassword: true } });
  });

  it('finishes a connect state only within a re-authentication of the session it was issued to', async () => {
    const account = await h.registerAccount();
    const uid = await h.newWeiboUser();
    const browser = h.newBrowser();
    const me = h.caller({ browserId: browser, token: account.token });
    expect(await reasonOf(me.weibo.authorizeUrl({ intent: 'connect' }))).toBe('REAUTH_REQUIRED');
    await me.account.reauthenticate({ password: account.password });
    const { state, intent, url } = await me.weibo.authorizeUrl({ intent: 'connect' });
    expect(intent).toBe('connect');
    expect(param(url, 'forcelogin')).toBe('true');
    // Without the session, or with another account's: refused, and the state is not spent.
    expect(await reasonOf(h.caller({ browserId: browser }).weibo.finish({ code: await h.mintCode(uid), state }))).toBe('UNAUTHENTICATED');
    const other = await h.registerAccount();
    expect(await reasonOf(h.caller({ browserId: browser, token: other.token }).weibo.finish({ code: await h.mintCode(uid), state }))).toBe(
      'STATE_INVALID',
    );
    // Once the re-authentication has lapsed: REAUTH_REQUIRED, nothing bound, the state still good.
    h.clock.advance(5 * 60 * 1000 + 1);
    expect(await reasonOf(me.weibo.finish({ code: await h.mintCode(uid), state }))).toBe('REAUTH_REQUIRED');
    expect((await me.auth.me()).identities).toEqual([]);
    await me.account.reauthenticate({ password: account.password });
    const connected = await me.weibo.finish({ code: await h.mintCode(uid), state });
    expect(connected).toMatchObject({ status: 'connected', identity: { uid } });
    expect((await me.auth.me()).identities.map((i) => i.uid)).toEqual([uid]);
  });

  it('finishes a reauth state for the bound uid only: another Weibo is WEIBO_MISMATCH and marks nothing', async () => {
    const account = await h.registerAccount();
    const uid = await h.newWeiboUser();
    const browser = h.newBrowser();
    const me = h.caller({ browserId: browser, token: account.token });
    expect(await reasonOf(me.weibo.authorizeUrl({ intent: 'reauth' }))).toBe('INVALID_INPUT');
    await me.account.reauthenticate({ password: account.password });
    await me.weibo.finish({ code: await h.mintCode(uid), state: (await me.weibo.authorizeUrl({ intent: 'connect' })).state });
    h.clock.advance(5 * 60 * 1000 + 1);
    // Lapsed: unbinding needs the password or a new re-authentication.
    expect(await reasonOf(me.weibo.unbind())).toBe('REAUTH_REQUIRED');

    const stranger = await h.newWeiboUser();
    const wrong = await me.weibo.authorizeUrl({ intent: 'reauth' });
    expect(param(wrong.url, 'forcelogin')).toBe('true');
    expect(await reasonOf(me.weibo.finish({ code: await h.mintCode(stranger), state: wrong.state }))).toBe('WEIBO_MISMATCH');
    expect(await reasonOf(me.weibo.unbind())).toBe('REAUTH_REQUIRED');

    const right = await me.weibo.authorizeUrl({ intent: 'reauth' });
    const done = await me.weibo.finish({ code: await h.mintCode(uid), state: right.state });
    expect(done.status).toBe('reauthenticated');
    if (done.status !== 'reauthenticated') throw new Error('unreachable');
    expect(Date.parse(done.until)).toBe(h.clock.now + 5 * 60 * 1000);
    // It marks this session only: another session of the account is not re-authenticated.
    const elsewhere = h.caller({
      token: (await h.caller().auth.login({ account: account.account, password: account.password })).session.token,
    });
    expect(await reasonOf(elsewhere.weibo.unbind())).toBe('REAUTH_REQUIRED');
    expect(await me.weibo.unbind()).toEqual({ ok: true });
    const kinds = (await me.auth.activity()).events.map((e) => e.kind);
    // One by password, one by Weibo; the refused one left no trace.
    expect(kinds.filter((k) => k === 'reauthenticated')).toHaveLength(2);
  });

  it('says BROWSER_MISMATCH for a genuine state from another browser, without spending it', async () => {
    const uid = await h.newWeiboUser();
    const browser = h.newBrowser();
    const { state } = await h.caller({ browserId: browser }).weibo.authorizeUrl();
    expect(await reasonOf(h.caller({ browserId: null }).weibo.finish({ code: await h.mintCode(uid), state }))).toBe('BROWSER_MISMATCH');
    expect(await reasonOf(h.caller({ browserId: h.newBrowser() }).weibo.finish({ code: await h.mintCode(uid), state }))).toBe(
      'BROWSER_MISMATCH',
    );
    expect((await h.caller({ browserId: browser }).weibo.finish({ code: await h.mintCode(uid), state })).status).toBe('bind_required');
    // Spent, forged or expired: STATE_INVALID, whichever browser.
    expect(await reasonOf(h.caller({ browserId: h.newBrowser() }).weibo.finish({ code: await h.mintCode(uid), state }))).toBe(
      'STATE_INVALID',
    );
    expect(await reasonOf(h.caller({ browserId: browser }).weibo.finish({ code: await h.mintCode(uid), state: 'Z'.repeat(43) }))).toBe(
      'STATE_INVALID',
    );
  });

  it('answers site.info with the contract’s defaults', async () => {
    expect(await h.caller().site.info()).toEqual({
      name: 'weibo-login',
      icp: null,
      termsUrl: '/terms',
      privacyUrl: '/privacy',
      weiboSignup: 'open',
    });
  });
});
