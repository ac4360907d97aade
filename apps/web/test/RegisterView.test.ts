import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mountAt, settle } from './support/mount.ts';
import { apiError, signedIn } from './support/fake-api.ts';

const api = await vi.hoisted(async () => (await import('./support/fake-api.ts')).createFakeApi());
vi.mock('../src/lib/load-api.ts', () => ({ loadApi: async () => api, preloadApi: () => {} }));

type Wrapper = Awaited<ReturnType<typeof mountAt>>['wrapper'];
async function submit(wrapper: Wrapper, account: string, password: string, agree = true) {
  await wrapper.find('#register-account').setValue(account);
  await wrapper.find('#register-password').setValue(password);
  const consent = wrapper.find<HTMLInputElement>('#register-consent');
  if (consent.element.checked !== agree) await consent.setValue(agree);
  await wrapper.find('form').trigger('submit');
  await settle();
}

describe('RegisterView', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    api.auth.me.query.mockResolvedValue({ user: signedIn().user, identities: [] });
    api.auth.activity.query.mockResolvedValue({ events: [] });
    api.account.devices.query.mockResolvedValue({ devices: [] });
  });

  it('states the rules next to the fields, in plain words', async () => {
    const { wrapper } = await mountAt('/register');
    expect(wrapper.find('h1').text()).toBe('注册新账号');
    expect(wrapper.find('#register-account-hint').text()).toContain('3–32 位');
    expect(wrapper.find('#register-password-hint').text()).toBe('至少 8 位');
    expect(wrapper.text()).not.toContain('字节');
    expect(wrapper.find('#register-account').attributes('aria-describedby')).toBe('register-account-hint');
    expect(wrapper.find('#register-password').attributes('autocomplete')).toBe('new-password');
  });

  it('offers 微博登录 too', async () => {
    api.weibo.authorizeUrl.query.mockResolvedValue({ url: 'https://weibo.example/a', state: 's', intent: 'login' });
    vi.spyOn(window.location, 'assign').mockImplementation(() => {});
    const { wrapper } = await mountAt('/register?redirect=/%3Fwelcome');
    const button = wrapper.find('[data-testid="weibo-login-button"]');
    expect(button.text()).toContain('微博登录');
    await button.trigger('click');
    await settle();
    expect(api.weibo.authorizeUrl.query).toHaveBeenCalledWith({ intent: 'login', redirectTo: '/?welcome' });
  });

  it('has an unticked consent box linking the terms and the privacy policy in new tabs', async () => {
    const { wrapper } = await mountAt('/register');
    const box = wrapper.find<HTMLInputElement>('#register-consent');
    expect(box.element.checked).toBe(false);
    const label = box.element.closest('label')!;
    expect(label.textContent).toBe('我已阅读并同意《用户协议》《隐私政策》');
    const links = [...label.querySelectorAll('a')].map((link) => [link.getAttribute('href'), link.getAttribute('target')]);
    expect(links).toEqual([
      ['/terms', '_blank'],
      ['/privacy', '_blank'],
    ]);
  });

  it('refuses to register without consent', async () => {
    const { wrapper } = await mountAt('/register');
    await submit(wrapper, 'alice', 'long enough password', false);
    expect(wrapper.find('#register-consent-error').text()).toBe('请先阅读并同意《用户协议》和《隐私政策》');
    expect(wrapper.find('#register-consent').attributes('aria-invalid')).toBe('true');
    expect(document.activeElement?.id).toBe('register-consent');
    expect(api.auth.register.mutate).not.toHaveBeenCalled();
    await wrapper.find('#register-consent').setValue(true);
    expect(wrapper.find('#register-consent-error').exists()).toBe(false);
  });

  it('refuses a password too long for bcrypt, saying so without jargon', async () => {
    const { wrapper } = await mountAt('/register');
    await submit(wrapper, 'alice', '密'.repeat(25)); // 25 characters, 75 bytes
    expect(wrapper.find('#register-password-error').text()).toBe('密码太长了：最多 72 个英文字母或数字，一个汉字按 3 个算');
    expect(wrapper.find('#register-password').attributes('aria-describedby')).toBe('register-password-hint register-password-error');
    expect(api.auth.register.mutate).not.toHaveBeenCalled();
  });

  it('refuses account names outside the rule', async () => {
    const { wrapper } = await mountAt('/register');
    await submit(wrapper, 'a b', 'long enough password');
    expect(wrapper.find('#register-account-error').text()).toBe('账号需为 3–32 位英文字母、数字，或 _ . -');
    // (2e) New names are ASCII: Chinese belongs in the display name, which comes from Weibo.
    await submit(wrapper, '用户名', 'long enough password');
    expect(wrapper.find('#register-account-error').text()).toBe('账号需为 3–32 位英文字母、数字，或 _ . -');
    expect(api.auth.register.mutate).not.toHaveBeenCalled();
  });

  it('says when the name is taken', async () => {
    api.auth.register.mutate.mockRejectedValue(apiError('ACCOUNT_TAKEN'));
    const { wrapper } = await mountAt('/register');
    await submit(wrapper, 'alice', 'long enough password');
    expect(wrapper.find('[role="alert"] p').text()).toBe('这个账号名已被使用，请换一个。');
    expect(wrapper.find('[role="alert"] a').text()).toBe('这是你的账号？去登录');
    expect(wrapper.find('[role="alert"] a').attributes('href')).toBe('/login');
  });

  it('puts an INVALID_INPUT from the API under the field it names', async () => {
    api.auth.register.mutate.mockRejectedValue(apiError('INVALID_INPUT', { issues: [{ path: ['account'], message: 'x' }] }));
    const { wrapper } = await mountAt('/register');
    await submit(wrapper, 'alice', 'long enough password');
    expect(wrapper.find('#register-account-error').text()).toBe('账号需为 3–32 位英文字母、数字，或 _ . -');
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
  });

  it('registers, signs in and goes on', async () => {
    api.auth.register.mutate.mockResolvedValue(signedIn());
    const { wrapper, router } = await mountAt('/register?redirect=/%3Fwelcome');
    await submit(wrapper, 'alice', 'long enough password');
    expect(api.auth.register.mutate).toHaveBeenCalledWith({ account: 'alice', password: 'long enough password' });
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/?welcome'));
  });
});
