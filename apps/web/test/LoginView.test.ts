import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mountAt, settle } from './support/mount.ts';
import { apiError, signedIn, user } from './support/fake-api.ts';
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
    // Sign-in states no rules and asks for no consent: those are for new accounts.
    expect(wrapper.find('.field-hint').exists()).toBe(false);
    expect(wrapper.find('[data-testid="consent"]').exists()).toBe(false);
  });

  it('checks only that both fields are filled', async () => {
    const { wrapper } = await mountAt('/login');
    await fillAndSubmit(wrapper, '', '');
    expect(wrapper.find('#login-account-error').text()).toBe('请输入账号');
    expect(wrapper.find('#login-password-error').text()).toBe('请输入密码');
    expect(wrapper.find('#login-account').attributes('aria-invalid')).toBe('true');
    expect(document.activeElement?.id).toBe('login-account');
    expect(api.auth.login.mutate).not.toHaveBeenCalled();
  });

  it('sends a short password or an old-style account name to the API as it is', async () => {
    api.auth.login.mutate.mockRejectedValue(apiError('BAD_CREDENTIALS'));
    const { wrapper } = await mountAt('/login');
    await fillAndSubmit(wrapper, '老用户', 'short');
    expect(api.auth.login.mutate).toHaveBeenCalledWith({ account: '老用户', password: 'short' });
    expect(wrapper.find('.field-error').exists()).toBe(false);
  });

  it('signs in, keeps the session and goes where the visitor wanted', async () => {
    api.auth.login.mutate.mockResolvedValue(signedIn());
    api.auth.me.query.mockResolvedValue({ user, identities: [] });
    api.auth.activity.query.mockResolvedValue({ events: [] });
    api.account.devices.query.mockResolvedValue({ devices: [] });
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

  it('says a disabled account is disabled', async () => {
    api.auth.login.mutate.mockRejectedValue(apiError('ACCOUNT_DISABLED'));
    const { wrapper } = await mountAt('/login');
    await fillAndSubmit(wrapper, 'alice', 'correct horse');
    expect(wrapper.find('[role="alert"]').text()).toContain('这个账号已被停用');
  });

  it('says when the server cannot be reached', async () => {
    api.auth.login.mutate.mockRejectedValue(new TypeError('Failed to fetch'));
    const { wrapper } = await mountAt('/login');
    await fillAndSubmit(wrapper, 'alice', 'whatever123');
    expect(wrapper.find('[role="alert"]').text()).toBe('无法连接服务器，请检查网络后重试。');
  });

  it('has the password toggle inside the field, one name, its state in aria-pressed', async () => {
    const { wrapper } = await mountAt('/login');
    const toggle = wrapper.find('.password-input button');
    expect(toggle.attributes('aria-label')).toBe('显示密码');
    expect(toggle.attributes('aria-pressed')).toBe('false');
    expect(wrapper.find('#login-password').attributes('type')).toBe('password');
    await toggle.trigger('click');
    expect(toggle.attributes('aria-label')).toBe('显示密码');
    expect(toggle.attributes('aria-pressed')).toBe('true');
    expect(wrapper.find('#login-password').attributes('type')).toBe('text');
    expect(toggle.text()).toBe('');
  });

  it('sends the browser to Weibo with the redirect, and keeps nothing about the trip', async () => {
    api.weibo.authorizeUrl.query.mockResolvedValue({ url: 'https://weibo.example/authorize?state=s1', state: 's1', intent: 'login' });
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => {});
    const { wrapper } = await mountAt('/login?redirect=/%3Ffrom%3Dweibo');
    await wrapper.find('[data-testid="weibo-login-button"]').trigger('click');
    await settle();
    // No display: the API picks Weibo's phone page from the User-Agent.
    expect(api.weibo.authorizeUrl.query).toHaveBeenCalledWith({ intent: 'login', redirectTo: '/?from=weibo' });
    expect(assign).toHaveBeenCalledWith('https://weibo.example/authorize?state=s1');
    expect(Object.keys(sessionStorage).filter((key) => key.startsWith('weibo-login'))).toEqual([]);
    expect(wrapper.find('[data-testid="weibo-login-button"]').attributes('disabled')).toBeDefined();
  });

  it('drops a redirect that leads off the site', async () => {
    api.weibo.authorizeUrl.query.mockResolvedValue({ url: 'https://weibo.example/authorize', state: 's2', intent: 'login' });
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

  it('shows no in-app browser hint in an ordinary browser', async () => {
    const { wrapper } = await mountAt('/login');
    expect(wrapper.find('[data-testid="in-app-hint"]').exists()).toBe(false);
  });

  it.each([
    [
      'wechat',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50',
      '在浏览器中打开',
    ],
    [
      'weibo',
      'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36 Weibo (Xiaomi__weibo__14.6.0__android__android14)',
      '用浏览器打开',
    ],
  ])('inside %s, says how to open the page in the system browser', async (app, userAgent, menuItem) => {
    vi.spyOn(navigator, 'userAgent', 'get').mockReturnValue(userAgent);
    const { wrapper } = await mountAt('/login');
    await vi.waitFor(() => expect(wrapper.find('[data-testid="in-app-hint"]').exists()).toBe(true));
    expect(wrapper.find('[data-testid="in-app-hint"]').attributes('data-app')).toBe(app);
    expect(wrapper.find('[data-testid="in-app-hint"]').text()).toContain(`「${menuItem}」`);
    expect(wrapper.find('[data-testid="in-app-hint"]').text()).toContain('右上角的「···」');
  });
});
