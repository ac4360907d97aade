import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mountAt, settle } from './support/mount.ts';
import { apiError, signedIn } from './support/fake-api.ts';

const api = await vi.hoisted(async () => (await import('./support/fake-api.ts')).createFakeApi());
vi.mock('../src/lib/load-api.ts', () => ({ loadApi: async () => api, preloadApi: () => {} }));

type Wrapper = Awaited<ReturnType<typeof mountAt>>['wrapper'];
async function submit(wrapper: Wrapper, account: string, password: string) {
  await wrapper.find('#register-account').setValue(account);
  await wrapper.find('#register-password').setValue(password);
  await wrapper.find('form').trigger('submit');
  await settle();
}

describe('RegisterView', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    api.auth.me.query.mockResolvedValue({ user: signedIn().user, identities: [] });
    api.auth.activity.query.mockResolvedValue({ events: [] });
  });

  it('states the rules for account and password next to the fields', async () => {
    const { wrapper } = await mountAt('/register');
    expect(wrapper.find('h1').text()).toBe('注册新账号');
    expect(wrapper.find('#register-account-hint').text()).toContain('3–32 位');
    expect(wrapper.find('#register-account').attributes('aria-describedby')).toBe('register-account-hint');
    expect(wrapper.find('#register-password').attributes('autocomplete')).toBe('new-password');
  });

  it('refuses a password longer than 72 bytes, counting UTF-8 bytes', async () => {
    const { wrapper } = await mountAt('/register');
    await submit(wrapper, 'alice', '密'.repeat(25)); // 25 characters, 75 bytes
    expect(wrapper.find('#register-password-error').text()).toBe('密码不能超过 72 字节（一个汉字占 3 字节）');
    expect(wrapper.find('#register-password').attributes('aria-describedby')).toBe('register-password-hint register-password-error');
    expect(api.auth.register.mutate).not.toHaveBeenCalled();
  });

  it('refuses account names outside the rule', async () => {
    const { wrapper } = await mountAt('/register');
    await submit(wrapper, 'a b', 'long enough password');
    expect(wrapper.find('#register-account-error').text()).toBe('账号需为 3–32 位英文字母、数字、下划线、点或短横线');
    // (2e) New names are ASCII: Chinese belongs in the display name, which comes from Weibo.
    await submit(wrapper, '用户名', 'long enough password');
    expect(wrapper.find('#register-account-error').text()).toBe('账号需为 3–32 位英文字母、数字、下划线、点或短横线');
    expect(api.auth.register.mutate).not.toHaveBeenCalled();
  });

  it('says when the name is taken', async () => {
    api.auth.register.mutate.mockRejectedValue(apiError('ACCOUNT_TAKEN'));
    const { wrapper } = await mountAt('/register');
    await submit(wrapper, 'alice', 'long enough password');
    expect(wrapper.find('[role="alert"]').text()).toBe('这个账号名已被使用，请换一个。');
  });

  it('puts an INVALID_INPUT from the API under the field it names', async () => {
    api.auth.register.mutate.mockRejectedValue(apiError('INVALID_INPUT', { issues: [{ path: ['account'], message: 'x' }] }));
    const { wrapper } = await mountAt('/register');
    await submit(wrapper, 'alice', 'long enough password');
    expect(wrapper.find('#register-account-error').text()).toBe('账号需为 3–32 位英文字母、数字、下划线、点或短横线');
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
