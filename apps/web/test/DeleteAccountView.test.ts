import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mountAt, settle } from './support/mount.ts';
import { apiError, device, session, user, weiboIdentity } from './support/fake-api.ts';
import { saveSession, storedSession } from '../src/lib/stored-session.ts';
import { forgetReauthentication, markReauthenticated } from '../src/composables/useReauth.ts';

const api = await vi.hoisted(async () => (await import('./support/fake-api.ts')).createFakeApi());
vi.mock('../src/lib/load-api.ts', () => ({ loadApi: async () => api, preloadApi: () => {} }));

type Wrapper = Awaited<ReturnType<typeof mountAt>>['wrapper'];
async function confirm(wrapper: Wrapper, options: { understood?: boolean; password?: string }) {
  if (options.understood) await wrapper.find('#delete-understood').setValue(true);
  if (options.password !== undefined) await wrapper.find('#delete-password').setValue(options.password);
  await wrapper.find('[data-testid="delete-account"] form').trigger('submit');
  await settle();
}

describe('DeleteAccountView (注销账号)', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    forgetReauthentication();
    saveSession(session);
    api.auth.me.query.mockResolvedValue({ user, identities: [weiboIdentity] });
    api.auth.activity.query.mockResolvedValue({ events: [] });
    api.account.devices.query.mockResolvedValue({ devices: [device({ current: true }), device({ id: 'd2' }), device({ id: 'd3' })] });
  });

  it('says exactly what will be deleted', async () => {
    const { wrapper } = await mountAt('/account/delete');
    expect(wrapper.find('h1').text()).toBe('注销账号');
    const items = wrapper.findAll('[data-testid="deletion-items"] li').map((item) => item.text());
    expect(items).toEqual([
      '账号“alice”，以及它的密码和资料（昵称、头像）',
      '与微博“林小暖”的绑定，以及本站保存的微博授权凭证；本站还会通知微博撤销对本站的授权',
      '所有设备上的登录（现在有 3 台），包括这台设备',
      '活动记录：只保留不含身份信息的统计数字',
    ]);
    expect(wrapper.text()).toContain('账号名“alice”可以被重新注册。你的微博账号也可以重新绑定其他账号。');
  });

  it('speaks of one device as one device, and leaves out a Weibo that is not there', async () => {
    api.auth.me.query.mockResolvedValue({ user, identities: [] });
    api.account.devices.query.mockResolvedValue({ devices: [device({ current: true })] });
    const { wrapper } = await mountAt('/account/delete');
    const items = wrapper.findAll('[data-testid="deletion-items"] li').map((item) => item.text());
    expect(items).toEqual(['账号“alice”，以及它的密码和资料（昵称、头像）', '这台设备上的登录', '活动记录：只保留不含身份信息的统计数字']);
    expect(wrapper.text()).not.toContain('微博');
  });

  it('deletes nothing until the box is ticked and the password given', async () => {
    const { wrapper } = await mountAt('/account/delete');
    await confirm(wrapper, {});
    expect(wrapper.find('#delete-understood-error').text()).toBe('请先勾选确认');
    await confirm(wrapper, { understood: true });
    expect(wrapper.find('#delete-password-error').text()).toBe('请输入密码');
    expect(api.account.delete.mutate).not.toHaveBeenCalled();
  });

  it('says a wrong password is wrong, and deletes with the right one', async () => {
    api.account.delete.mutate.mockRejectedValueOnce(apiError('BAD_CREDENTIALS')).mockResolvedValueOnce({ ok: true });
    const { wrapper, router } = await mountAt('/account/delete');
    await confirm(wrapper, { understood: true, password: 'wrong password' });
    expect(wrapper.find('[role="alert"]').text()).toBe('密码错误。');
    await confirm(wrapper, { password: 'correct horse' });
    expect(api.account.delete.mutate).toHaveBeenLastCalledWith({ password: 'correct horse' });
    expect(storedSession.value).toBeNull();
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('login'));
    await settle();
    expect(wrapper.text()).toContain('账号已注销。');
  });

  it('asks an account without a password to confirm with Weibo, coming back here', async () => {
    api.auth.me.query.mockResolvedValue({ user: { ...user, hasPassword: false }, identities: [weiboIdentity] });
    api.weibo.authorizeUrl.query.mockResolvedValue({ url: 'https://weibo.example/r', state: 'r', intent: 'reauth' });
    vi.spyOn(window.location, 'assign').mockImplementation(() => {});
    const { wrapper } = await mountAt('/account/delete');
    expect(wrapper.find('#delete-password').exists()).toBe(false);
    await confirm(wrapper, { understood: true });
    expect(api.account.delete.mutate).not.toHaveBeenCalled();
    await wrapper.find('[data-testid="reauth-prompt"] [data-testid="weibo-login-button"]').trigger('click');
    await settle();
    expect(api.weibo.authorizeUrl.query).toHaveBeenCalledWith({ intent: 'reauth', redirectTo: '/' });
    expect(JSON.parse(sessionStorage.getItem('weibo-login.resume')!).action).toBe('delete');
  });

  it('deletes an account without a password once re-authenticated', async () => {
    markReauthenticated(new Date(Date.now() + 300_000).toISOString());
    api.auth.me.query.mockResolvedValue({ user: { ...user, hasPassword: false }, identities: [weiboIdentity] });
    api.account.delete.mutate.mockResolvedValue({ ok: true });
    const { wrapper, router } = await mountAt('/account/delete');
    await confirm(wrapper, { understood: true });
    expect(api.account.delete.mutate).toHaveBeenCalledWith({});
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('login'));
  });
});
