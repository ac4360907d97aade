import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mountAt, settle } from './support/mount.ts';
import { apiError, device, session, user, userAgents, weiboIdentity } from './support/fake-api.ts';
import { saveSession, storedSession } from '../src/lib/stored-session.ts';
import { forgetReauthentication, markReauthenticated } from '../src/composables/useReauth.ts';

const api = await vi.hoisted(async () => (await import('./support/fake-api.ts')).createFakeApi());
vi.mock('../src/lib/load-api.ts', () => ({ loadApi: async () => api, preloadApi: () => {} }));

const weiboOnly = { ...user, hasPassword: false, account: 'wb_k3j9x2ma', displayName: '林小暖' };
const events = [
  { kind: 'sign_in_weibo', at: '2026-01-02T03:04:05.000Z', ip: '127.0.0.1', userAgent: userAgents.WEIBO_IPHONE, reason: null },
  { kind: 'password_failed', at: '2026-01-01T03:04:05.000Z', ip: null, userAgent: null, reason: null },
  { kind: 'operator_signed_out', at: '2026-01-01T02:30:00.000Z', ip: null, userAgent: null, reason: '账号疑似被盗，已强制下线' },
  { kind: 'something_new', at: '2026-01-01T02:00:00.000Z', ip: null, userAgent: null, reason: null },
];

type Wrapper = Awaited<ReturnType<typeof mountAt>>['wrapper'];
const button = (wrapper: Wrapper, text: string) => {
  const found = wrapper.findAll('button').find((candidate) => candidate.text() === text);
  if (!found)
    throw new Error(
      `no button "${text}" in: ${wrapper
        .findAll('button')
        .map((b) => b.text())
        .join(' | ')}`,
    );
  return found;
};
const click = async (wrapper: Wrapper, text: string) => {
  await button(wrapper, text).trigger('click');
  await settle();
};

describe('HomeView (账号与安全)', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    forgetReauthentication();
    saveSession(session);
    api.auth.me.query.mockResolvedValue({ user, identities: [] });
    api.auth.activity.query.mockResolvedValue({ events });
    api.account.devices.query.mockResolvedValue({
      devices: [
        device({ id: 'here', current: true }),
        device({ id: 'phone', userAgent: userAgents.WEIBO_IPHONE, method: 'weibo', ip: null }),
      ],
    });
  });

  it('shows the profile, with the initial for a missing avatar', async () => {
    const { wrapper } = await mountAt('/');
    expect(wrapper.find('h1').text()).toBe('账号与安全');
    expect(wrapper.find('[data-testid="account-name"]').text()).toBe('alice');
    expect(wrapper.find('.avatar-initial').text()).toBe('A');
  });

  it('shows recent activity in words, with readable devices and the operator’s reason', async () => {
    const { wrapper } = await mountAt('/');
    const items = wrapper.findAll('.activity-kind').map((item) => item.text());
    expect(items).toEqual(['用微博登录', '密码输入错误', '管理员让所有设备退出了登录', '其他活动（something_new）']);
    expect(wrapper.find('.activity-meta').text()).toBe('微博 App · iPhone · IP 127.0.0.1');
    expect(wrapper.find('[data-testid="activity-reason"]').text()).toBe('管理员说明：账号疑似被盗，已强制下线');
  });

  it('lists the devices by name, this one marked', async () => {
    const { wrapper } = await mountAt('/');
    const names = wrapper.findAll('[data-testid="device-name"]').map((name) => name.text());
    expect(names).toEqual(['Chrome · Windows', '微博 App · iPhone']);
    expect(wrapper.find('[data-testid="device"][data-current]').text()).toContain('本机');
    // This device signs out from the profile; only the others have their own button.
    expect(wrapper.findAll('[data-testid="device"] button').map((b) => b.attributes('aria-label'))).toEqual(['退出: 微博 App · iPhone']);
  });

  it('signs out another device after asking', async () => {
    api.account.signOutDevice.mutate.mockResolvedValue({ ok: true });
    const { wrapper } = await mountAt('/');
    await wrapper.find('[data-testid="device"] button[aria-label="退出: 微博 App · iPhone"]').trigger('click');
    expect(api.account.signOutDevice.mutate).not.toHaveBeenCalled();
    expect(wrapper.text()).toContain('让“微博 App · iPhone”退出登录？');
    api.account.devices.query.mockResolvedValue({ devices: [device({ id: 'here', current: true })] });
    await click(wrapper, '确认退出');
    expect(api.account.signOutDevice.mutate).toHaveBeenCalledWith({ id: 'phone' });
    expect(wrapper.text()).toContain('“微博 App · iPhone”已退出登录。');
    expect(wrapper.findAll('[data-testid="device"]')).toHaveLength(1);
  });

  it('signs out every other device, one by one, never this one', async () => {
    api.account.devices.query.mockResolvedValue({
      devices: [device({ id: 'here', current: true }), device({ id: 'a' }), device({ id: 'b' })],
    });
    api.account.signOutDevice.mutate.mockResolvedValueOnce({ ok: true }).mockRejectedValueOnce(apiError('DEVICE_NOT_FOUND'));
    const { wrapper } = await mountAt('/');
    await wrapper.find('[data-testid="sign-out-others"]').trigger('click');
    expect(wrapper.text()).toContain('让其他 2 台设备全部退出登录？本机不受影响。');
    await click(wrapper, '退出其他所有设备');
    expect(api.account.signOutDevice.mutate.mock.calls).toEqual([[{ id: 'a' }], [{ id: 'b' }]]);
    expect(api.auth.logout.mutate).not.toHaveBeenCalled();
    expect(wrapper.text()).toContain('其他设备已全部退出登录。');
  });

  it('links Weibo only after the password, then leaves for Weibo', async () => {
    api.account.reauthenticate.mutate.mockRejectedValueOnce(apiError('BAD_CREDENTIALS')).mockResolvedValue({
      until: new Date(Date.now() + 300_000).toISOString(),
    });
    api.weibo.authorizeUrl.query.mockResolvedValue({ url: 'https://weibo.example/a', state: 'c1', intent: 'connect' });
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => {});
    const { wrapper } = await mountAt('/');
    await wrapper.find('[data-testid="weibo-link-button"]').trigger('click');
    await settle();
    expect(api.weibo.authorizeUrl.query).not.toHaveBeenCalled();
    expect(wrapper.find('[data-testid="reauth-prompt"] h3').text()).toBe('为了你的账号安全，请验证身份');
    expect(document.activeElement?.id).toBe('connect-reauth-password');

    await wrapper.find('#connect-reauth-password').setValue('wrong password');
    await wrapper.find('[data-testid="reauth-prompt"] form').trigger('submit');
    await settle();
    expect(wrapper.find('[data-testid="reauth-prompt"] [role="alert"]').text()).toBe('密码错误。');

    await wrapper.find('#connect-reauth-password').setValue('correct horse');
    await wrapper.find('[data-testid="reauth-prompt"] form').trigger('submit');
    await settle();
    expect(api.account.reauthenticate.mutate).toHaveBeenLastCalledWith({ password: 'correct horse' });
    expect(api.weibo.authorizeUrl.query).toHaveBeenCalledWith({ intent: 'connect' });
    expect(assign).toHaveBeenCalledWith('https://weibo.example/a');
  });

  it('says what is exchanged with Weibo', async () => {
    const { wrapper } = await mountAt('/');
    expect(wrapper.find('[data-testid="weibo-setting"]').text()).toContain('不会以你的名义发布任何内容');
  });

  it('unlinks Weibo after the password; a wrong one is a wrong password, not "account or password"', async () => {
    api.auth.me.query.mockResolvedValueOnce({ user, identities: [weiboIdentity] }).mockResolvedValue({ user, identities: [] });
    api.weibo.unbind.mutate.mockRejectedValueOnce(apiError('BAD_CREDENTIALS')).mockResolvedValueOnce({ ok: true });
    const { wrapper } = await mountAt('/');
    await click(wrapper, '解除绑定');
    expect(document.activeElement?.id).toBe('unbind-password');
    await wrapper.find('#unbind-password').setValue('wrong password');
    await wrapper.find('[data-testid="weibo-setting"] form').trigger('submit');
    await settle();
    expect(wrapper.find('[data-testid="weibo-setting"] [role="alert"]').text()).toBe('密码错误。');

    await wrapper.find('#unbind-password').setValue('correct horse');
    await wrapper.find('[data-testid="weibo-setting"] form').trigger('submit');
    await settle();
    expect(api.weibo.unbind.mutate).toHaveBeenLastCalledWith({ password: 'correct horse' });
    expect(wrapper.find('[data-testid="page-notice"]').text()).toBe('已解除微博绑定。');
    expect(wrapper.find('[data-testid="weibo-link-button"]').exists()).toBe(true);
  });

  it('does not let a Weibo-only account lose its only way in: it offers to set a password first', async () => {
    api.auth.me.query.mockResolvedValue({ user: weiboOnly, identities: [weiboIdentity] });
    const { wrapper } = await mountAt('/');
    expect(wrapper.find('[data-testid="password-setting"]').text()).toContain('未设置');
    await click(wrapper, '解除绑定');
    expect(wrapper.find('#unbind-password').exists()).toBe(false);
    expect(wrapper.find('[data-testid="weibo-setting"]').text()).toContain('解除微博绑定后，你将无法登录');
    await click(wrapper, '设置密码');
    // Setting the first password needs a re-authentication, which this account makes with Weibo.
    expect(wrapper.find('[data-testid="password-setting"] [data-testid="reauth-prompt"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="password-setting"] [data-testid="weibo-login-button"]').text()).toContain('用微博验证');
    expect(api.weibo.unbind.mutate).not.toHaveBeenCalled();
  });

  it('confirms with Weibo, noting what to carry on with', async () => {
    api.auth.me.query.mockResolvedValue({ user: weiboOnly, identities: [weiboIdentity] });
    api.weibo.authorizeUrl.query.mockResolvedValue({ url: 'https://weibo.example/r', state: 'r1', intent: 'reauth' });
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => {});
    const { wrapper } = await mountAt('/');
    await click(wrapper, '设置密码');
    await wrapper.find('[data-testid="password-setting"] [data-testid="weibo-login-button"]').trigger('click');
    await settle();
    expect(api.weibo.authorizeUrl.query).toHaveBeenCalledWith({ intent: 'reauth', redirectTo: '/' });
    expect(assign).toHaveBeenCalledWith('https://weibo.example/r');
    expect(JSON.parse(sessionStorage.getItem('weibo-login.resume')!).action).toBe('set-password');
  });

  it('sets a first password once re-authenticated', async () => {
    markReauthenticated(new Date(Date.now() + 300_000).toISOString());
    api.auth.me.query.mockResolvedValueOnce({ user: weiboOnly, identities: [weiboIdentity] }).mockResolvedValue({
      user: { ...weiboOnly, hasPassword: true },
      identities: [weiboIdentity],
    });
    api.account.setPassword.mutate.mockResolvedValue({ ok: true });
    const { wrapper } = await mountAt('/');
    await click(wrapper, '设置密码');
    await wrapper.find('#new-password').setValue('a brand new password');
    await wrapper.find('[data-testid="password-setting"] form').trigger('submit');
    await settle();
    expect(api.account.setPassword.mutate).toHaveBeenCalledWith({ newPassword: 'a brand new password' });
    expect(wrapper.find('[data-testid="page-notice"]').text()).toBe('密码已设置。现在也可以用账号和密码登录了。');
    expect(wrapper.find('[data-testid="password-setting"]').text()).toContain('已设置');
  });

  it('asks in place when the API wants a re-authentication, then carries on', async () => {
    api.account.setPassword.mutate.mockRejectedValueOnce(apiError('REAUTH_REQUIRED')).mockResolvedValueOnce({ ok: true });
    api.account.reauthenticate.mutate.mockResolvedValue({ until: new Date(Date.now() + 300_000).toISOString() });
    const { wrapper } = await mountAt('/');
    await click(wrapper, '修改密码');
    expect(wrapper.text()).toContain('修改后，其他设备上的登录会全部退出。');
    await wrapper.find('#current-password').setValue('correct horse');
    await wrapper.find('#new-password').setValue('a brand new password');
    await wrapper.find('[data-testid="password-setting"] form').trigger('submit');
    await settle();
    expect(wrapper.find('[data-testid="reauth-prompt"]').exists()).toBe(true);
    await wrapper.find('#password-reauth-password').setValue('correct horse');
    await wrapper.find('[data-testid="reauth-prompt"] form').trigger('submit');
    await settle();
    expect(api.account.setPassword.mutate).toHaveBeenCalledTimes(2);
    expect(api.account.setPassword.mutate).toHaveBeenLastCalledWith({
      currentPassword: 'correct horse',
      newPassword: 'a brand new password',
    });
    expect(wrapper.find('[data-testid="page-notice"]').text()).toBe('密码已修改，其他设备已退出登录。');
  });

  it('says a wrong current password is wrong', async () => {
    api.account.setPassword.mutate.mockRejectedValue(apiError('BAD_CREDENTIALS'));
    const { wrapper } = await mountAt('/');
    await click(wrapper, '修改密码');
    await wrapper.find('#current-password').setValue('wrong password');
    await wrapper.find('#new-password').setValue('a brand new password');
    await wrapper.find('[data-testid="password-setting"] form').trigger('submit');
    await settle();
    expect(wrapper.find('[data-testid="password-setting"] [role="alert"]').text()).toBe('密码错误。');
    expect(wrapper.find('#current-password').attributes('aria-invalid')).toBe('true');
  });

  it('downloads everything held about the account as a JSON file', async () => {
    const data = { exportedAt: '2026-12-07T01:02:03.000Z', user, identities: [], devices: [], events: [] };
    api.account.export.query.mockResolvedValue(data);
    const clicked: { download: string; href: string }[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ download: this.download, href: this.href });
    });
    const createObjectURL = vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:export');
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    const { wrapper } = await mountAt('/');
    await click(wrapper, '导出我的数据');
    expect(clicked).toEqual([{ download: 'alice-2026-12-07.json', href: 'blob:export' }]);
    const blob = createObjectURL.mock.calls[0]![0] as Blob;
    expect(JSON.parse(await blob.text())).toEqual(data);
    expect(wrapper.text()).toContain('已开始下载你的数据。');
  });

  it('signs out after asking: tells the API, drops the token and shows the sign-in page', async () => {
    api.auth.logout.mutate.mockResolvedValue({ ok: true });
    const { wrapper, router } = await mountAt('/');
    await click(wrapper, '退出登录');
    expect(api.auth.logout.mutate).not.toHaveBeenCalled();
    expect(wrapper.text()).toContain('确定退出登录吗？');
    await click(wrapper, '退出登录');
    expect(api.auth.logout.mutate).toHaveBeenCalledWith({ everywhere: false });
    expect(storedSession.value).toBeNull();
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('login'));
    await settle();
    expect(wrapper.text()).toContain('你已退出登录。');
  });

  it('signs out locally even when the API cannot be reached', async () => {
    api.auth.logout.mutate.mockRejectedValue(new TypeError('Failed to fetch'));
    const { wrapper, router } = await mountAt('/');
    await click(wrapper, '退出登录');
    await click(wrapper, '退出登录');
    expect(storedSession.value).toBeNull();
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('login'));
  });

  it('offers a retry when the account cannot be loaded', async () => {
    api.auth.me.query.mockRejectedValueOnce(apiError('SERVICE_UNAVAILABLE')).mockResolvedValue({ user, identities: [] });
    const { wrapper } = await mountAt('/');
    expect(wrapper.find('[role="alert"]').text()).toContain('无法加载账号信息。');
    await wrapper.find('button.btn-primary').trigger('click');
    await settle();
    expect(wrapper.find('[data-testid="account-name"]').text()).toBe('alice');
  });

  it('shows the rest of the page when only the devices cannot be loaded', async () => {
    api.account.devices.query
      .mockRejectedValueOnce(apiError('SERVICE_UNAVAILABLE'))
      .mockResolvedValue({ devices: [device({ current: true })] });
    const { wrapper } = await mountAt('/');
    expect(wrapper.find('[data-testid="account-name"]').text()).toBe('alice');
    expect(wrapper.find('[data-testid="devices"] [role="alert"]').text()).toContain('无法加载登录设备。');
    await click(wrapper, '重试');
    expect(wrapper.findAll('[data-testid="device"]')).toHaveLength(1);
  });
});
