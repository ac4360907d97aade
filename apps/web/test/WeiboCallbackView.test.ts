import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mountAt, settle } from './support/mount.ts';
import { apiError, bindRequired, session, signedIn, user, weiboIdentity } from './support/fake-api.ts';
import { saveSession, storedSession } from '../src/lib/stored-session.ts';
import { FINISH_PATIENCE_MS } from '../src/composables/useWeiboCallback.ts';
import { BIND_PANEL_LIFETIME_MS } from '../src/composables/useWeiboReturn.ts';
import { isReauthenticated, rememberResume } from '../src/composables/useReauth.ts';

const api = await vi.hoisted(async () => (await import('./support/fake-api.ts')).createFakeApi());
vi.mock('../src/lib/load-api.ts', () => ({ loadApi: async () => api, preloadApi: () => {} }));

const XSS = '<img src=x onerror=alert(1)>';
const WECHAT = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50';

/** Arrives on /weibo the way the browser does: the real address carries Weibo's parameters. */
async function arrive(search: string) {
  window.history.replaceState(null, '', `/weibo${search}`);
  return mountAt(`/weibo${search}`);
}

type Wrapper = Awaited<ReturnType<typeof mountAt>>['wrapper'];
async function submitBind(wrapper: Wrapper, account: string, password: string) {
  await wrapper.find('#bind-account').setValue(account);
  await wrapper.find('#bind-password').setValue(password);
  await wrapper.find('[data-testid="bind-panel"] form').trigger('submit');
  await settle();
}

async function chooseBind(wrapper: Wrapper) {
  await wrapper.find('input[value="bind"]').setValue(true);
}

async function quickRegister(wrapper: Wrapper, options: { agree?: boolean; account?: string; password?: string } = {}) {
  if (options.account !== undefined || options.password !== undefined) {
    const details = wrapper.find<HTMLDetailsElement>('[data-testid="quick-register"] details');
    details.element.open = true;
    await details.trigger('toggle');
    if (options.account !== undefined) await wrapper.find('#quick-register-account').setValue(options.account);
    if (options.password !== undefined) await wrapper.find('#quick-register-password').setValue(options.password);
  }
  if (options.agree !== false) await wrapper.find('#quick-register-consent').setValue(true);
  await wrapper.find('[data-testid="quick-register"]').trigger('submit');
  await settle();
}

describe('WeiboCallbackView', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    api.auth.me.query.mockResolvedValue({ user, identities: [] });
    api.auth.activity.query.mockResolvedValue({ events: [] });
    api.account.devices.query.mockResolvedValue({ devices: [] });
  });
  afterEach(() => vi.useRealTimers());

  it('takes code and state out of the address bar before calling weibo.finish, then signs in', async () => {
    let addressDuringCall = '';
    api.weibo.finish.mutate.mockImplementation(async () => {
      addressDuringCall = window.location.href;
      return signedIn('/?from=weibo');
    });
    const { router } = await arrive('?code=c1&state=s1');
    expect(addressDuringCall).toMatch(/\/weibo$/);
    expect(api.weibo.finish.mutate).toHaveBeenCalledWith({ code: 'c1', state: 's1' });
    expect(api.weibo.login.mutate).not.toHaveBeenCalled();
    expect(storedSession.value?.token).toBe(session.token);
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/?from=weibo'));
  });

  it('shows who came back from Weibo, and registering first', async () => {
    api.weibo.finish.mutate.mockResolvedValue(bindRequired());
    const { wrapper } = await arrive('?code=c1&state=s1');
    expect(wrapper.find('h1').text()).toBe('还差一步');
    expect(wrapper.find('[data-testid="weibo-screen-name"]').text()).toBe('林小暖');
    expect(wrapper.find('img.avatar').attributes('referrerpolicy')).toBe('no-referrer');
    expect(wrapper.find('[data-testid="switch-weibo-account"]').text()).toBe('不是你？换个微博账号');
    expect(wrapper.find<HTMLInputElement>('input[value="register"]').element.checked).toBe(true);
    expect(wrapper.find('[data-testid="quick-register"] button[type="submit"]').text()).toBe('用微博账号直接注册');
    expect(wrapper.text()).toContain('绑定已有账号');
  });

  it('shows a screen name that looks like HTML as text', async () => {
    api.weibo.finish.mutate.mockResolvedValue(bindRequired({ screenName: XSS }));
    const { wrapper } = await arrive('?code=c1&state=s1');
    expect(wrapper.find('[data-testid="weibo-screen-name"]').text()).toBe(XSS);
    expect(wrapper.find('img[src="x"]').exists()).toBe(false);
  });

  it('registers in one tap, with neither name nor password, once the terms are accepted', async () => {
    api.weibo.finish.mutate.mockResolvedValue(bindRequired());
    api.weibo.register.mutate.mockResolvedValue(signedIn('/?from=weibo'));
    const { wrapper, router } = await arrive('?code=c1&state=s1');
    await quickRegister(wrapper, { agree: false });
    expect(api.weibo.register.mutate).not.toHaveBeenCalled();
    expect(wrapper.find('#quick-register-consent-error').text()).toBe('请先阅读并同意《用户协议》和《隐私政策》');

    await quickRegister(wrapper);
    expect(api.weibo.register.mutate).toHaveBeenCalledWith({ ticket: 'ticket-1' });
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/?from=weibo'));
    expect(sessionStorage.getItem('weibo-login.pending-bind')).toBeNull();
  });

  it('registers with a chosen name and password, checked by the rules for new accounts', async () => {
    api.weibo.finish.mutate.mockResolvedValue(bindRequired());
    api.weibo.register.mutate.mockResolvedValue(signedIn('/'));
    const { wrapper } = await arrive('?code=c1&state=s1');
    await quickRegister(wrapper, { account: '小暖', password: 'short' });
    expect(wrapper.text()).toContain('账号需为 3–32 位英文字母、数字，或 _ . -');
    expect(wrapper.text()).toContain('密码至少需要 8 位');
    expect(api.weibo.register.mutate).not.toHaveBeenCalled();
    await wrapper.find('#quick-register-account').setValue('xiaonuan');
    await wrapper.find('#quick-register-password').setValue('long enough password');
    await wrapper.find('[data-testid="quick-register"]').trigger('submit');
    await settle();
    expect(api.weibo.register.mutate).toHaveBeenCalledWith({ ticket: 'ticket-1', account: 'xiaonuan', password: 'long enough password' });
  });

  it('offers binding when the chosen name is taken, carrying the name over', async () => {
    api.weibo.finish.mutate.mockResolvedValue(bindRequired());
    api.weibo.register.mutate.mockRejectedValue(apiError('ACCOUNT_TAKEN'));
    const { wrapper } = await arrive('?code=c1&state=s1');
    await quickRegister(wrapper, { account: 'alice' });
    const alert = wrapper.find('[data-testid="quick-register"] [role="alert"]');
    expect(alert.text()).toContain('这个账号名已被使用，请换一个。');
    await alert.find('button').trigger('click');
    expect(wrapper.find<HTMLInputElement>('#bind-account').element.value).toBe('alice');
  });

  it('binds an existing account with its password', async () => {
    api.weibo.finish.mutate.mockResolvedValue(bindRequired());
    api.weibo.bind.mutate.mockResolvedValue(signedIn('/?from=weibo'));
    const { wrapper, router } = await arrive('?code=c1&state=s1');
    await chooseBind(wrapper);
    await submitBind(wrapper, 'alice', 'correct horse');
    expect(api.weibo.bind.mutate).toHaveBeenCalledWith({ ticket: 'ticket-1', account: 'alice', password: 'correct horse' });
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/?from=weibo'));
    expect(sessionStorage.getItem('weibo-login.pending-bind')).toBeNull();
  });

  it('offers registering after a wrong password in the bind form', async () => {
    api.weibo.finish.mutate.mockResolvedValue(bindRequired());
    api.weibo.bind.mutate.mockRejectedValue(apiError('BAD_CREDENTIALS'));
    const { wrapper } = await arrive('?code=c1&state=s1');
    await chooseBind(wrapper);
    await submitBind(wrapper, 'alice', 'wrong password');
    const alert = wrapper.find('[data-testid="bind-panel"] [role="alert"]');
    expect(alert.text()).toContain('账号或密码错误。');
    await alert.find('button').trigger('click');
    expect(wrapper.find('[data-testid="quick-register"]').exists()).toBe(true);
  });

  it('offers only binding when the site does not let Weibo create accounts', async () => {
    api.weibo.finish.mutate.mockResolvedValue(bindRequired({ canRegister: false }));
    api.weibo.bind.mutate.mockRejectedValue(apiError('BAD_CREDENTIALS'));
    const { wrapper } = await arrive('?code=c1&state=s1');
    expect(wrapper.text()).toContain('请绑定你已有的账号');
    expect(wrapper.find('input[value="register"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="quick-register"]').exists()).toBe(false);
    await submitBind(wrapper, 'alice', 'wrong password');
    expect(wrapper.find('[data-testid="bind-panel"] [role="alert"] button').exists()).toBe(false);
  });

  it('"不是你？" starts a new Weibo sign-in that asks who is signing in', async () => {
    api.weibo.finish.mutate.mockResolvedValue(bindRequired());
    api.weibo.authorizeUrl.query.mockResolvedValue({ url: 'https://weibo.example/a', state: 's2', intent: 'login' });
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => {});
    const { wrapper } = await arrive('?code=c1&state=s1');
    await wrapper.find('[data-testid="switch-weibo-account"]').trigger('click');
    await settle();
    expect(api.weibo.authorizeUrl.query).toHaveBeenCalledWith({ intent: 'login', redirectTo: '/?from=weibo', forceLogin: true });
    expect(assign).toHaveBeenCalledWith('https://weibo.example/a');
  });

  it('offers a fresh start when the bind ticket has expired', async () => {
    api.weibo.finish.mutate.mockResolvedValue(bindRequired());
    api.weibo.bind.mutate.mockRejectedValue(apiError('TICKET_INVALID'));
    const { wrapper } = await arrive('?code=c1&state=s1');
    await chooseBind(wrapper);
    await submitBind(wrapper, 'alice', 'correct horse');
    expect(wrapper.find('h1').text()).toBe('这次登录已过期');
    expect(wrapper.find('[data-testid="weibo-login-button"]').exists()).toBe(true);
    expect(sessionStorage.getItem('weibo-login.pending-bind')).toBeNull();
  });

  it('shows the bind panel again after a reload, without sending the spent code again', async () => {
    api.weibo.finish.mutate.mockResolvedValue(bindRequired());
    const first = await arrive('?code=c1&state=s1');
    first.wrapper.unmount();
    const { wrapper } = await arrive('');
    expect(api.weibo.finish.mutate).toHaveBeenCalledTimes(1);
    expect(wrapper.find('[data-testid="weibo-screen-name"]').text()).toBe('林小暖');
  });

  it('does not resume a bind panel older than its ticket', async () => {
    api.weibo.finish.mutate.mockResolvedValue(bindRequired());
    const first = await arrive('?code=c1&state=s1');
    first.wrapper.unmount();
    vi.useFakeTimers({ now: Date.now() + BIND_PANEL_LIFETIME_MS + 1000, toFake: ['Date'] });
    const { wrapper } = await arrive('');
    expect(wrapper.find('h1').text()).toBe('没有待完成的微博登录');
    expect(sessionStorage.getItem('weibo-login.pending-bind')).toBeNull();
  });

  it('says the user cancelled at Weibo, without calling the API', async () => {
    const { wrapper } = await arrive(
      '?error_uri=%2Foauth2%2Fauthorize&error=access_denied&error_description=user%20denied%20your%20request.&error_code=21330&state=s1',
    );
    expect(window.location.search).toBe('');
    expect(wrapper.find('h1').text()).toBe('你已取消微博授权');
    expect(wrapper.find('[data-testid="weibo-login-button"]').exists()).toBe(true);
    expect(wrapper.find('a[href^="/login"]').text()).toBe('用账号密码登录');
    expect(api.weibo.finish.mutate).not.toHaveBeenCalled();
  });

  it('shows another Weibo error with its code', async () => {
    const { wrapper } = await arrive('?error=invalid_request&error_code=21323');
    expect(wrapper.find('h1').text()).toBe('微博未能完成授权');
    expect(wrapper.text()).toContain('21323');
  });

  it.each([
    ['STATE_INVALID', '这次登录已过期', '这个登录链接已过期或已被使用。请重新用微博登录。', true],
    ['WEIBO_CODE_INVALID', '这次登录已过期', '微博没有接受这次登录（已过期或已被使用）。请重新用微博登录。', true],
    ['WEIBO_UNAVAILABLE', '微博暂时无法访问', '微博暂时没有正常响应，请稍后再试。', true],
    [
      'WEIBO_APP_UNAUDITED',
      '本站的微博登录正在审核中',
      '本站的微博登录还在微博审核中，暂时只有少数测试账号能用。请先用账号密码登录。',
      false,
    ],
    ['WEIBO_RATE_LIMITED', '微博登录暂时繁忙', '用微博登录的人太多，已达到微博给本站的次数上限。请稍后再试，或先用账号密码登录。', true],
    ['WEIBO_MISCONFIGURED', '微博登录暂不可用', '本站的微博登录暂时无法使用。请先用账号密码登录。', false],
    ['ACCOUNT_DISABLED', '账号已被停用', '这个账号已被停用，无法登录。如有疑问，请联系本站客服。', false],
  ] as const)('explains %s and offers what can work', async (reason, heading, body, retry) => {
    api.weibo.finish.mutate.mockRejectedValue(apiError(reason));
    const { wrapper } = await arrive('?code=c1&state=s1');
    expect(wrapper.find('h1').text()).toBe(heading);
    expect(wrapper.find('[role="alert"]').text()).toBe(body);
    expect(wrapper.find('[data-testid="weibo-login-button"]').exists()).toBe(retry);
    expect(wrapper.find('a[href="/login"]').exists()).toBe(true);
  });

  it('explains a return to another browser, and restarts from this one', async () => {
    api.weibo.finish.mutate.mockRejectedValue(apiError('BROWSER_MISMATCH'));
    api.weibo.authorizeUrl.query.mockResolvedValue({ url: 'https://weibo.example/a', state: 's2', intent: 'login' });
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => {});
    const { wrapper } = await arrive('?code=c1&state=s1');
    expect(wrapper.find('h1').text()).toBe('请在发起登录的同一浏览器中完成');
    expect(wrapper.find('[data-testid="in-app-hint"]').exists()).toBe(false);
    const restart = wrapper.find('[data-testid="weibo-login-button"]');
    expect(restart.text()).toContain('在这个浏览器重新登录');
    await restart.trigger('click');
    await settle();
    expect(api.weibo.authorizeUrl.query).toHaveBeenCalledWith({ intent: 'login' });
    expect(assign).toHaveBeenCalledWith('https://weibo.example/a');
  });

  it('inside WeChat, says how to open the page in the system browser after a return to another browser', async () => {
    vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue(WECHAT);
    api.weibo.finish.mutate.mockRejectedValue(apiError('BROWSER_MISMATCH'));
    const { wrapper } = await arrive('?code=c1&state=s1');
    const hint = wrapper.find('[data-testid="in-app-hint"]');
    expect(hint.text()).toContain('你正在微信里浏览：可以点右上角的「···」，选择「在浏览器中打开」');
  });

  it('never only spins: after a while it offers Weibo again and the password, and still takes a late answer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
    let answer: (value: ReturnType<typeof signedIn>) => void = () => {};
    api.weibo.finish.mutate.mockReturnValue(new Promise((resolve) => (answer = resolve)));
    const { wrapper, router } = await arrive('?code=c1&state=s1');
    expect(wrapper.find('[data-testid="weibo-working"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="weibo-slow"]').exists()).toBe(false);
    await vi.advanceTimersByTimeAsync(FINISH_PATIENCE_MS);
    expect(wrapper.find('[data-testid="weibo-slow"]').text()).toContain('微博的响应比平时慢');
    expect(wrapper.find('[data-testid="weibo-login-button"]').exists()).toBe(true);
    expect(wrapper.find('a[href="/login"]').text()).toBe('用账号密码登录');
    answer(signedIn('/?late'));
    await vi.advanceTimersByTimeAsync(100);
    vi.useRealTimers();
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/?late'));
  });

  it('finishes a connect trip and goes back to the account page with a notice', async () => {
    saveSession(session);
    api.weibo.finish.mutate.mockResolvedValue({ status: 'connected', identity: { ...weiboIdentity, screenName: '陈大文' } });
    api.auth.me.query.mockResolvedValue({ user, identities: [{ ...weiboIdentity, screenName: '陈大文' }] });
    const { wrapper, router } = await arrive('?code=c9&state=s9');
    expect(api.weibo.finish.mutate).toHaveBeenCalledWith({ code: 'c9', state: 's9' });
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('home'));
    await settle();
    expect(wrapper.find('[data-testid="page-notice"]').text()).toBe('已绑定微博“陈大文”。');
  });

  it('finishes a Weibo re-authentication and carries on with the action it was for', async () => {
    saveSession(session);
    rememberResume('set-password');
    api.weibo.finish.mutate.mockResolvedValue({ status: 'reauthenticated', until: new Date(Date.now() + 300_000).toISOString() });
    api.auth.me.query.mockResolvedValue({ user: { ...user, hasPassword: false }, identities: [weiboIdentity] });
    const { wrapper, router } = await arrive('?code=c9&state=s9');
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('home'));
    await settle();
    expect(isReauthenticated()).toBe(true);
    expect(router.currentRoute.value.query).toEqual({});
    expect(wrapper.find('[data-testid="page-notice"]').text()).toBe('身份已验证，5 分钟内可以继续操作。');
    expect(wrapper.find('#new-password').exists()).toBe(true);
  });

  it('goes back to the deletion page after a Weibo re-authentication made for it', async () => {
    saveSession(session);
    rememberResume('delete');
    api.weibo.finish.mutate.mockResolvedValue({ status: 'reauthenticated', until: new Date(Date.now() + 300_000).toISOString() });
    api.auth.me.query.mockResolvedValue({ user: { ...user, hasPassword: false }, identities: [weiboIdentity] });
    const { wrapper, router } = await arrive('?code=c9&state=s9');
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('delete-account'));
    await settle();
    expect(wrapper.text()).toContain('身份已验证，5 分钟内可以继续操作。');
    expect(sessionStorage.getItem('weibo-login.resume')).toBeNull();
  });

  it('sends a signed-in person back to the account page when their trip failed', async () => {
    saveSession(session);
    api.weibo.finish.mutate.mockRejectedValue(apiError('WEIBO_MISMATCH'));
    const { wrapper } = await arrive('?code=c9&state=s9');
    expect(wrapper.find('h1').text()).toBe('这不是你绑定的微博账号');
    expect(wrapper.find('a[href="/"]').text()).toBe('返回账号与安全');
    expect(wrapper.find('[data-testid="weibo-login-button"]').exists()).toBe(false);
  });

  it('explains a visit with nothing to finish', async () => {
    const { wrapper } = await arrive('');
    expect(wrapper.find('h1').text()).toBe('没有待完成的微博登录');
    expect(wrapper.find('a[href="/login"]').text()).toBe('返回登录');
  });
});
