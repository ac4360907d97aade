/** The phone authorize page (open.weibo.cn's, served at MOBILE_AUTHORIZE_PATH): same rules as the desktop page, its own layout. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as controlEntry from '../src/control-client.ts';
import { MOBILE_AUTHORIZE_PATH, MOBILE_DECISION_PATH, SESSION_COOKIE, XSS_SCREEN_NAME, type WeiboSimulator } from '../src/index.ts';
import { CLIENT_ID, HEX32, REDIRECT, UID, exchange, get, postForm, redirectOf, startSim } from './support/helpers.ts';

let sim: WeiboSimulator;
let base: string;
beforeAll(async () => ({ sim, base } = await startSim()));
afterAll(() => sim.close());

const DENIAL = 'error_uri=%2Foauth2%2Fauthorize&error=access_denied&error_description=user%20denied%20your%20request.&error_code=21330';
const params = { client_id: CLIENT_ID, redirect_uri: REDIRECT, response_type: 'code', display: 'mobile' };
const mobileUrl = (extra: Record<string, string> = {}) => `${base}${MOBILE_AUTHORIZE_PATH}?${new URLSearchParams({ ...params, ...extra })}`;
const decide = (form: Record<string, string>) =>
  postForm(`${base}${MOBILE_DECISION_PATH}`, { client_id: CLIENT_ID, redirect_uri: REDIRECT, display: 'mobile', ...form });

describe('where the phone page lives', () => {
  it('mirrors open.weibo.cn/oauth2/authorize under one host, exported from both entries', () => {
    expect(MOBILE_AUTHORIZE_PATH).toBe('/open.weibo.cn/oauth2/authorize');
    expect(MOBILE_DECISION_PATH).toBe('/open.weibo.cn/oauth2/authorize/decision');
    expect(controlEntry.MOBILE_AUTHORIZE_PATH).toBe(MOBILE_AUTHORIZE_PATH);
  });
});

describe('the phone consent page', () => {
  it('is laid out for a phone, in Chinese, and posts to its own decision route', async () => {
    const res = await get(mobileUrl({ state: 's"><x', scope: 'email' }));
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.text).toContain('<html lang="zh-CN">');
    expect(res.text).toContain('<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">');
    // Tap targets of at least 48 px, full-width buttons: the desktop page has neither.
    expect(res.text).toMatch(/button\{display:block;width:100%;min-height:48px/);
    expect(res.text).toContain(`action="${MOBILE_DECISION_PATH}"`);
    expect(res.text).not.toContain('action="/oauth2/authorize/decision"');
    expect(res.text).toContain('申请使用你的微博账号登录');
    expect(res.text).toMatch(/>授权<\/button>/);
    expect(res.text).toMatch(/>取消<\/button>/);
    expect(res.text).toContain('name="display" value="mobile"');
    expect(res.text).toContain('value="s&quot;&gt;&lt;x"');
    expect(res.text).toContain('（email）');
    expect(res.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(res.text).not.toContain(XSS_SCREEN_NAME);
  });

  it('pre-selects the signed-in user, but nobody with forcelogin=true', async () => {
    const cookie = { cookie: `${SESSION_COOKIE}=${UID}` };
    expect((await get(mobileUrl(), cookie)).text).toMatch(new RegExp(`value="${UID}" required checked`));
    const forced = await get(mobileUrl({ forcelogin: 'true' }), cookie);
    expect(forced.text).not.toContain('required checked');
    expect(forced.text).toContain('重新登录');
  });

  it('is also served for POST', async () => {
    const res = await postForm(`${base}${MOBILE_AUTHORIZE_PATH}`, params);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`action="${MOBILE_DECISION_PATH}"`);
  });
});

describe('the phone error page (an app problem is never redirected)', () => {
  it.each([
    ['unknown client_id', { client_id: '999' }, '错误码：21324'],
    ['redirect_uri not registered', { redirect_uri: 'http://127.0.0.1:5173/weibo/' }, '错误码：21322 重定向地址不匹配'],
    ['response_type=token', { response_type: 'token' }, '21329'],
    ['an approval for an unknown sim_uid', { sim_action: 'approve', sim_uid: '1' }, '21323'],
  ])('%s: 400, the phone layout, no Location', async (_name, extra, text) => {
    const res = await get(mobileUrl(extra));
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.text).toContain(text);
    expect(res.text).toContain('viewport-fit=cover');
  });
});

describe('decisions from the phone page', () => {
  it('approve: 302 with a code and the state, and remembers the user', async () => {
    const res = await fetch(`${base}${MOBILE_DECISION_PATH}`, {
      method: 'POST',
      body: new URLSearchParams({ ...params, state: 'a b&c', uid: UID, action: 'approve' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(new RegExp(`^${REDIRECT}\\?code=[0-9a-f]{32}&state=a%20b%26c$`));
    expect(res.headers.get('set-cookie')).toContain(`${SESSION_COOKIE}=${UID}`);
  });

  it('deny: 302 with the same access_denied query as the desktop page', async () => {
    const res = await decide({ state: 'xyz', action: 'deny' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${REDIRECT}?${DENIAL}&state=xyz`);
  });

  it('approve with nobody chosen: the phone page again, 400', async () => {
    const res = await decide({ action: 'approve' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.text).toContain('请选择要登录的微博账号');
    expect(res.text).toContain(`action="${MOBILE_DECISION_PATH}"`);
  });

  it('a tampered hidden redirect_uri gets the phone error page', async () => {
    const res = await decide({ redirect_uri: 'http://evil.example/cb', uid: UID, action: 'approve' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.text).toContain('21322');
    expect(res.text).toContain('viewport-fit=cover');
  });

  it('the sim_action shortcuts work here too, and the code exchanges like any other', async () => {
    const approved = await redirectOf(mobileUrl({ state: 'st', sim_uid: UID, sim_action: 'approve' }));
    expect(approved.status).toBe(302);
    const code = new URL(approved.location!).searchParams.get('code')!;
    expect(code).toMatch(HEX32);
    const token = await exchange(base, code);
    expect(token.status).toBe(200);
    expect(token.json.uid).toBe(UID);
    const denied = await redirectOf(mobileUrl({ state: 'st', sim_action: 'deny' }));
    expect(denied.location).toBe(`${REDIRECT}?${DENIAL}&state=st`);
  });

  it('other methods on the phone paths are 10021, as on the desktop ones', async () => {
    const res = await fetch(`${base}${MOBILE_AUTHORIZE_PATH}`, { method: 'PUT' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_code: number }).error_code).toBe(10021);
  });
});
