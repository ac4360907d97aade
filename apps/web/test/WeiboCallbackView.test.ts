import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mountAt, settle } from './support/mount.ts';
import { apiError, signedIn } from './support/fake-api.ts';
import { saveSession, storedSession } from '../src/lib/stored-session.ts';
import { session } from './support/fake-api.ts';

const api = await vi.hoisted(async () => (await import('./support/fake-api.ts')).createFakeApi());
vi.mock('../src/lib/load-api.ts', () => ({ loadApi: async () => api, preloadApi: () => {} }));

const XSS = '<img src=x onerror=alert(1)>';
const bindRequired = {
  status: 'bind_required' as const,
  ticket: 'ticket-1',
  profile: { uid: '5285840175', screenName: '林小暖', avatarUrl: 'http://127.0.0.1:4000/avatars/5285840175.svg' },
  redirectTo: '/?from=weibo',
};

/** Arrives on /weibo the way the browser does: the real address carries Weibo's parameters. */
async function arrive(search: string) {
  window.history.replaceState(null, '', `/weibo${search}`);
  return mountAt(`/weibo${search}`);
}

type Wrapper = Awaited<ReturnType<typeof mountAt>>['wrapper'];
async function submitForm(wrapper: Wrapper, prefix: string, account: string, password: string) {
  await wrapper.find(`#${prefix}-account`).setValue(account);
  await wrapper.find(`#${prefix}-password`).setValue(password);
  await wrapper.find('form').trigger('submit');
  await settle();
}

describe('WeiboCallbackView', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    api.auth.me.query.mockResolvedValue({ user: signedIn().user, identities: [] });
    api.auth.activity.query.mockResolvedValue({ events: [] });
  });

  it('takes code and state out of the address bar before calling the API, then signs in', async () => {
    let addressDuringCall = '';
    api.weibo.login.mutate.mockImplementation(async () => {
      addressDuringCall = window.location.href;
      return signedIn('/?from=weibo');
    });
    const { router } = await arrive('?code=c1&state=s1');
    expect(addressDuringCall).toMatch(/\/weibo$/);
    expect(api.weibo.login.mutate).toHaveBeenCalledWith({ code: 'c1', state: 's1' });
    expect(storedSession.value?.token).toBe(session.token);
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/?from=weibo'));
  });

  it('shows the Weibo profile and the two choices when the Weibo account is not bound', async () => {
    api.weibo.login.mutate.mockResolvedValue(bindRequired);
    const { wrapper } = await arrive('?code=c1&state=s1');
    expect(wrapper.find('h1').text()).toBe('还差一步');
    expect(wrapper.find('[data-testid="weibo-screen-name"]').text()).toBe('林小暖');
    expect(wrapper.find('img.avatar').attributes('referrerpolicy')).toBe('no-referrer');
    expect(wrapper.text()).toContain('绑定已有账号');
    expect(wrapper.text()).toContain('注册新账号');
  });

  it('shows a screen name that looks like HTML as text', async () => {
    api.weibo.login.mutate.mockResolvedValue({ ...bindRequired, profile: { ...bindRequired.profile, screenName: XSS } });
    const { wrapper } = await arrive('?code=c1&state=s1');
    expect(wrapper.find('[data-testid="weibo-screen-name"]').text()).toBe(XSS);
    expect(wrapper.find('img[src="x"]').exists()).toBe(false);
  });

  it('binds an existing account with its password', async () => {
    api.weibo.login.mutate.mockResolvedValue(bindRequired);
    api.weibo.bind.mutate.mockResolvedValue(signedIn('/?from=weibo'));
    const { wrapper, router } = await arrive('?code=c1&state=s1');
    await submitForm(wrapper, 'bind', 'alice', 'correct horse');
    expect(api.weibo.bind.mutate).toHaveBeenCalledWith({ ticket: 'ticket-1', account: 'alice', password: 'correct horse' });
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/?from=weibo'));
    expect(sessionStorage.getItem('weibo-login.pending-bind')).toBeNull();
  });

  it('keeps a wrong password in the bind form', async () => {
    api.weibo.login.mutate.mockResolvedValue(bindRequired);
    api.weibo.bind.mutate.mockRejectedValue(apiError('BAD_CREDENTIALS'));
    const { wrapper } = await arrive('?code=c1&state=s1');
    await submitForm(wrapper, 'bind', 'alice', 'wrong password');
    expect(wrapper.find('[role="alert"]').text()).toBe('账号或密码错误。');
    expect(wrapper.find('#bind-account').exists()).toBe(true);
  });

  it('registers a new account for the Weibo user, or says the name is taken', async () => {
    api.weibo.login.mutate.mockResolvedValue(bindRequired);
    api.weibo.register.mutate.mockRejectedValueOnce(apiError('ACCOUNT_TAKEN')).mockResolvedValueOnce(signedIn('/'));
    const { wrapper, router } = await arrive('?code=c1&state=s1');
    await wrapper.find('input[value="register"]').setValue(true);
    expect(wrapper.find('#bind-register-account-hint').exists()).toBe(true);
    await submitForm(wrapper, 'bind-register', 'alice', 'long enough password');
    expect(wrapper.find('[role="alert"]').text()).toBe('这个账号名已被使用，请换一个。');
    await submitForm(wrapper, 'bind-register', 'alice2', 'long enough password');
    expect(api.weibo.register.mutate).toHaveBeenLastCalledWith({ ticket: 'ticket-1', account: 'alice2', password: 'long enough password' });
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/'));
  });

  it('offers a fresh start when the bind ticket has expired', async () => {
    api.weibo.login.mutate.mockResolvedValue(bindRequired);
    api.weibo.bind.mutate.mockRejectedValue(apiError('TICKET_INVALID'));
    const { wrapper } = await arrive('?code=c1&state=s1');
    await submitForm(wrapper, 'bind', 'alice', 'correct horse');
    expect(wrapper.find('h1').text()).toBe('登录链接已失效');
    expect(wrapper.text()).toContain('绑定请求已过期。请重新用微博登录。');
    expect(wrapper.find('[data-testid="weibo-login-button"]').exists()).toBe(true);
  });

  it('shows the bind panel again after a reload, without sending the spent code again', async () => {
    api.weibo.login.mutate.mockResolvedValue(bindRequired);
    const first = await arrive('?code=c1&state=s1');
    first.wrapper.unmount();
    const { wrapper } = await arrive('');
    expect(api.weibo.login.mutate).toHaveBeenCalledTimes(1);
    expect(wrapper.find('[data-testid="weibo-screen-name"]').text()).toBe('林小暖');
  });

  it('says the user cancelled at Weibo, without calling the API', async () => {
    const { wrapper } = await arrive(
      '?error_uri=%2Foauth2%2Fauthorize&error=access_denied&error_description=user%20denied%20your%20request.&error_code=21330&state=s1',
    );
    expect(window.location.search).toBe('');
    expect(wrapper.find('h1').text()).toBe('你已取消微博授权');
    expect(wrapper.find('[data-testid="weibo-login-button"]').exists()).toBe(true);
    expect(wrapper.find('a[href^="/login"]').text()).toBe('用账号密码登录');
    expect(api.weibo.login.mutate).not.toHaveBeenCalled();
  });

  it('shows another Weibo error with its code', async () => {
    const { wrapper } = await arrive('?error=invalid_request&error_code=21323');
    expect(wrapper.find('h1').text()).toBe('微博未能完成授权');
    expect(wrapper.text()).toContain('21323');
  });

  it.each([
    ['STATE_INVALID', '登录链接已失效', '这个登录链接已过期或已被使用。请重新用微博登录。'],
    ['WEIBO_CODE_INVALID', '登录链接已失效', '微博没有接受这次登录（已过期或已被使用）。请重新用微博登录。'],
    ['WEIBO_UNAVAILABLE', '微博暂时无法访问', '微博暂时没有正常响应，请稍后再试。'],
  ] as const)('explains %s and offers to start again', async (reason, heading, body) => {
    api.weibo.login.mutate.mockRejectedValue(apiError(reason));
    const { wrapper } = await arrive('?code=c1&state=s1');
    expect(wrapper.find('h1').text()).toBe(heading);
    expect(wrapper.find('[role="alert"]').text()).toBe(body);
    expect(wrapper.find('[data-testid="weibo-login-button"]').exists()).toBe(true);
  });

  it('retries with the redirect of the trip that failed', async () => {
    sessionStorage.setItem('weibo-login.trip.s1', JSON.stringify({ intent: 'login', redirectTo: '/?from=retry' }));
    api.weibo.login.mutate.mockRejectedValue(apiError('WEIBO_UNAVAILABLE'));
    api.weibo.authorizeUrl.query.mockResolvedValue({ url: 'https://weibo.example/a', state: 's2' });
    vi.spyOn(window.location, 'assign').mockImplementation(() => {});
    const { wrapper } = await arrive('?code=c1&state=s1');
    await wrapper.find('[data-testid="weibo-login-button"]').trigger('click');
    await settle();
    expect(api.weibo.authorizeUrl.query).toHaveBeenCalledWith({ intent: 'login', redirectTo: '/?from=retry' });
  });

  it('finishes a connect trip with weibo.connect and goes back to the account page', async () => {
    saveSession(session);
    sessionStorage.setItem('weibo-login.trip.s9', JSON.stringify({ intent: 'connect' }));
    api.weibo.connect.mutate.mockResolvedValue({
      identity: { provider: 'weibo', uid: '1', screenName: '陈大文', avatarUrl: null, boundAt: new Date().toISOString() },
    });
    const { wrapper, router } = await arrive('?code=c9&state=s9');
    expect(api.weibo.connect.mutate).toHaveBeenCalledWith({ code: 'c9', state: 's9' });
    expect(api.weibo.login.mutate).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('home'));
    await settle();
    expect(wrapper.text()).toContain('已绑定微博“陈大文”。');
  });

  it('says when the Weibo account of a connect is bound to someone else', async () => {
    saveSession(session);
    sessionStorage.setItem('weibo-login.trip.s9', JSON.stringify({ intent: 'connect' }));
    api.weibo.connect.mutate.mockRejectedValue(apiError('WEIBO_ALREADY_BOUND'));
    const { wrapper } = await arrive('?code=c9&state=s9');
    expect(wrapper.find('h1').text()).toBe('这个微博已绑定其他账号');
    expect(wrapper.find('a[href="/"]').text()).toBe('返回账号页');
    expect(wrapper.find('[data-testid="weibo-login-button"]').text()).toContain('绑定微博');
  });

  it('explains a visit with nothing to finish', async () => {
    const { wrapper } = await arrive('');
    expect(wrapper.find('h1').text()).toBe('没有待完成的微博登录');
    expect(wrapper.find('a[href="/login"]').text()).toBe('返回登录');
  });
});
