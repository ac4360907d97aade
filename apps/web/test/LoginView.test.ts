import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mountAt, settle } from './support/mount.ts';
import { apiError, signedIn } from './support/fake-api.ts';
import { storedSession } from '../src/lib/stored-session.ts';

const api = await vi.hoisted(async () => (await import('./support/fake-api.ts')).createFakeApi());
vi.mock('../src/lib/load-api.ts', () => ({ loadApi: async () => api, preloadApi: () => {} }));

async function fillAndSubmit(wrapper: Awaited<ReturnType<typeof mountAt>>['wrapper'], account: string, password: string) {
  await wrapper.find('#login-account').trigger('focusin');
  await wrapper.find('#login-account').setValue(account);
  await wrapper.find('#login-password').setValue(password);
  await wrapper.find('form').trigger('submit');
  await settle();
}

describe('LoginView', () => {
  beforeEach(() => vi.clearAllMocks());

  it('offers the password form, the Weibo button and a way to register that keeps the redirect', async () => {
    const { wrapper } = await mountAt('/login?redirect=/%3Ftab%3Dweibo');
    expect(wrapper.find('h1').text()).toBe('登录');
    expect(wrapper.find('[data-testid="weibo-login-button"]').text()).toContain('微博登录');
    expect(wrapper.find('label[for="login-account"]').text()).toBe('账号');
    expect(wrapper.find('a[href^="/register"]').attributes('href')).toBe('/register?redirect=/?tab=weibo');
  });

  it('checks the fields before calling the API', async () => {
    const { wrapper } = await mountAt('/login');
    await fillAndSubmit(wrapper, '', 'short');
    expect(wrapper.text()).toContain('请输入账号');
    expect(wrapper.text()).toContain('密码至少需要 8 位');
    expect(wrapper.find('#login-account').attributes('aria-invalid')).toBe('true');
    expect(api.auth.login.mutate).not.toHaveBeenCalled();
  });

  it('signs in, keeps the session and goes where the visitor wanted', async () => {
    api.auth.login.mutate.mockResolvedValue(signedIn());
    api.auth.me.query.mockResolvedValue({ user: signedIn().user, identities: [] });
    api.auth.activity.query.mockResolvedValue({ events: [] });
    const { wrapper, router } = await mountAt('/login?redirect=/%3Ffrom%3Dlogin');
    await fillAndSubmit(wrapper, ' alice ', 'correct horse');
    expect(api.auth.login.mutate).toHaveBeenCalledWith({ account: 'alice', password: 'correct horse' });
    expect(storedSession.value?.token).toBe('header.payload.signature');
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/?from=login'));
  });

  it('says "wrong account or password" without saying which', async () => {
    api.auth.login.mutate.mockRejectedValue(apiError('BAD_CREDENTIALS'));
    const { wrapper, router } = await mountAt('/login');
    await fillAndSubmit(wrapper, 'alice', 'wrong password');
    expect(wrapper.find('[role="alert"]').text()).toBe('账号或密码错误。');
    expect(router.currentRoute.value.name).toBe('login');
    expect(storedSession.value).toBeNull();
  });

  it('says how long to wait after too many attempts', async () => {
    api.auth.login.mutate.mockRejectedValue(apiError('TOO_MANY_ATTEMPTS', { retryAfterSeconds: 600 }));
    const { wrapper } = await mountAt('/login');
    await fillAndSubmit(wrapper, 'alice', 'wrong password');
    expect(wrapper.find('[role="alert"]').text()).toBe('尝试次数过多，请在 10 分钟后再试。');
  });

  it('says when the server cannot be reached', async () => {
    api.auth.login.mutate.mockRejectedValue(new TypeError('Failed to fetch'));
    const { wrapper } = await mountAt('/login');
    await fillAndSubmit(wrapper, 'alice', 'whatever123');
    expect(wrapper.find('[role="alert"]').text()).toBe('无法连接服务器，请检查网络后重试。');
  });

  it('sends the browser to Weibo with the redirect, remembering the trip under its state', async () => {
    api.weibo.authorizeUrl.query.mockResolvedValue({ url: 'https://weibo.example/authorize?state=s1', state: 's1' });
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => {});
    const { wrapper } = await mountAt('/login?redirect=/%3Ffrom%3Dweibo');
    await wrapper.find('[data-testid="weibo-login-button"]').trigger('click');
    await settle();
    expect(api.weibo.authorizeUrl.query).toHaveBeenCalledWith({ intent: 'login', redirectTo: '/?from=weibo' });
    expect(assign).toHaveBeenCalledWith('https://weibo.example/authorize?state=s1');
    expect(JSON.parse(sessionStorage.getItem('weibo-login.trip.s1')!)).toEqual({ intent: 'login', redirectTo: '/?from=weibo' });
    expect(wrapper.find('[data-testid="weibo-login-button"]').attributes('disabled')).toBeDefined();
  });

  it('drops a redirect that leads off the site', async () => {
    api.weibo.authorizeUrl.query.mockResolvedValue({ url: 'https://weibo.example/authorize', state: 's2' });
    vi.spyOn(window.location, 'assign').mockImplementation(() => {});
    const { wrapper } = await mountAt('/login?redirect=//evil.example');
    await wrapper.find('[data-testid="weibo-login-button"]').trigger('click');
    await settle();
    expect(api.weibo.authorizeUrl.query).toHaveBeenCalledWith({ intent: 'login' });
  });

  it('shows Weibo being unavailable under the button', async () => {
    api.weibo.authorizeUrl.query.mockRejectedValue(apiError('SERVICE_UNAVAILABLE'));
    const { wrapper } = await mountAt('/login');
    await wrapper.find('[data-testid="weibo-login-button"]').trigger('click');
    await settle();
    expect(wrapper.find('.weibo-login [role="alert"]').text()).toBe('服务暂时不可用，请稍后再试。');
    expect(wrapper.find('[data-testid="weibo-login-button"]').attributes('disabled')).toBeUndefined();
  });
});
