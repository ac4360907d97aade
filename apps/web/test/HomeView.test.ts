import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mountAt, settle } from './support/mount.ts';
import { apiError, session, user } from './support/fake-api.ts';
import { saveSession, storedSession } from '../src/lib/stored-session.ts';

const api = await vi.hoisted(async () => (await import('./support/fake-api.ts')).createFakeApi());
vi.mock('../src/lib/load-api.ts', () => ({ loadApi: async () => api, preloadApi: () => {} }));

const identity = {
  provider: 'weibo' as const,
  uid: '5285840175',
  screenName: '<b>林小暖</b>',
  avatarUrl: 'javascript:alert(1)',
  boundAt: '2026-01-02T03:04:05.000Z',
};
const events = [
  { kind: 'sign_in_weibo', at: '2026-01-02T03:04:05.000Z', ip: '127.0.0.1', userAgent: 'Chrome' },
  { kind: 'password_failed', at: '2026-01-01T03:04:05.000Z', ip: null, userAgent: null },
  { kind: 'something_new', at: '2026-01-01T02:00:00.000Z', ip: null, userAgent: null },
];

describe('HomeView', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    saveSession(session);
    api.auth.activity.query.mockResolvedValue({ events });
  });

  it('shows the account, its initial for a missing avatar, and recent activity in words', async () => {
    api.auth.me.query.mockResolvedValue({ user, identities: [] });
    const { wrapper } = await mountAt('/');
    expect(wrapper.find('[data-testid="account-name"]').text()).toBe('alice');
    expect(wrapper.find('.avatar-initial').text()).toBe('A');
    const items = wrapper.findAll('.activity-kind').map((item) => item.text());
    expect(items).toEqual(['用微博登录', '密码错误', '其他活动（something_new）']);
    expect(wrapper.text()).toContain('来自 127.0.0.1');
  });

  it('offers to bind Weibo when none is bound', async () => {
    api.auth.me.query.mockResolvedValue({ user, identities: [] });
    api.weibo.authorizeUrl.query.mockResolvedValue({ url: 'https://weibo.example/a', state: 'c1' });
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => {});
    const { wrapper } = await mountAt('/');
    const button = wrapper.find('[data-testid="weibo-login-button"]');
    expect(button.text()).toContain('绑定微博');
    await button.trigger('click');
    await settle();
    expect(api.weibo.authorizeUrl.query).toHaveBeenCalledWith({ intent: 'connect' });
    expect(assign).toHaveBeenCalledWith('https://weibo.example/a');
    expect(JSON.parse(sessionStorage.getItem('weibo-login.trip.c1')!)).toEqual({ intent: 'connect' });
  });

  it('shows the bound Weibo as text and never loads a non-http avatar', async () => {
    api.auth.me.query.mockResolvedValue({ user, identities: [identity] });
    const { wrapper } = await mountAt('/');
    expect(wrapper.find('[data-testid="weibo-screen-name"]').text()).toBe('<b>林小暖</b>');
    expect(wrapper.find('b').exists()).toBe(false);
    expect(wrapper.find('img[src^="javascript"]').exists()).toBe(false);
  });

  it('unbinds after asking for the password, and says so', async () => {
    api.auth.me.query.mockResolvedValueOnce({ user, identities: [identity] }).mockResolvedValue({ user, identities: [] });
    api.weibo.unbind.mutate.mockRejectedValueOnce(apiError('BAD_CREDENTIALS')).mockResolvedValueOnce({ ok: true });
    const { wrapper } = await mountAt('/');
    await wrapper.find('button.btn-danger').trigger('click');
    await settle();
    expect(document.activeElement?.id).toBe('unbind-password');

    await wrapper.find('#unbind-password').setValue('wrong password');
    await wrapper.find('form').trigger('submit');
    await settle();
    expect(wrapper.find('form [role="alert"]').text()).toBe('账号或密码错误。');

    await wrapper.find('#unbind-password').setValue('correct horse');
    await wrapper.find('form').trigger('submit');
    await settle();
    expect(api.weibo.unbind.mutate).toHaveBeenLastCalledWith({ password: 'correct horse' });
    expect(wrapper.text()).toContain('已解除微博绑定。');
    expect(wrapper.find('[data-testid="weibo-login-button"]').exists()).toBe(true);
  });

  it('signs out: tells the API, drops the token and shows the sign-in page', async () => {
    api.auth.me.query.mockResolvedValue({ user, identities: [] });
    api.auth.logout.mutate.mockResolvedValue({ ok: true });
    const { wrapper, router } = await mountAt('/');
    await wrapper.findAll('.btn-row button')[1]!.trigger('click');
    await settle();
    expect(api.auth.logout.mutate).toHaveBeenCalledWith({ everywhere: true });
    expect(storedSession.value).toBeNull();
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('login'));
    await settle();
    expect(wrapper.text()).toContain('你已退出登录。');
  });

  it('signs out locally even when the API cannot be reached', async () => {
    api.auth.me.query.mockResolvedValue({ user, identities: [] });
    api.auth.logout.mutate.mockRejectedValue(new TypeError('Failed to fetch'));
    const { wrapper, router } = await mountAt('/');
    await wrapper.findAll('.btn-row button')[0]!.trigger('click');
    await settle();
    expect(api.auth.logout.mutate).toHaveBeenCalledWith({ everywhere: false });
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
});
