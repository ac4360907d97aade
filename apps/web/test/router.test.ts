import { describe, expect, it } from 'vitest';
import { createMemoryHistory } from 'vue-router';
import { createAppRouter } from '../src/router/index.ts';
import { saveSession, storedSession } from '../src/lib/stored-session.ts';
import { notifyUnauthenticated } from '../src/lib/trpc-events.ts';
import { takeFlash } from '../src/lib/flash.ts';
import { session } from './support/fake-api.ts';
import { mountAt } from './support/mount.ts';

describe('route guard', () => {
  it('sends an unsigned visit to /login with where it was going', async () => {
    const router = createAppRouter(createMemoryHistory());
    await router.push('/');
    expect(router.currentRoute.value.fullPath).toBe('/login?redirect=/');
    await router.push('/account/delete');
    expect(router.currentRoute.value.fullPath).toBe('/login?redirect=/account/delete');
  });

  it('lets the Weibo callback, the terms and the privacy policy through unsigned', async () => {
    const router = createAppRouter(createMemoryHistory());
    await router.push('/weibo?code=c&state=s');
    expect(router.currentRoute.value.name).toBe('weibo-callback');
    await router.push('/terms');
    expect(router.currentRoute.value.name).toBe('terms');
    await router.push('/privacy');
    expect(router.currentRoute.value.name).toBe('privacy');
  });

  it('sends a signed-in visit to /login on to its redirect, if it is a path of this app', async () => {
    saveSession(session);
    const router = createAppRouter(createMemoryHistory());
    await router.push('/login?redirect=/%3Fx%3D1');
    expect(router.currentRoute.value.fullPath).toBe('/?x=1');
    await router.push('/register?redirect=//evil.example');
    expect(router.currentRoute.value.fullPath).toBe('/');
  });

  it('forgets a session that expired on the client clock', async () => {
    saveSession({ token: 't', expiresAt: new Date(Date.now() - 1000).toISOString() });
    const router = createAppRouter(createMemoryHistory());
    await router.push('/');
    expect(router.currentRoute.value.name).toBe('login');
    expect(storedSession.value).toBeNull();
  });

  it('goes back to /login, with a notice, when the API says the session is gone', async () => {
    saveSession(session);
    const router = createAppRouter(createMemoryHistory());
    await router.push('/?tab=1');
    storedSession.value = null;
    notifyUnauthenticated();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(router.currentRoute.value.name).toBe('login');
    expect(router.currentRoute.value.query.redirect).toBe('/?tab=1');
    expect(takeFlash()?.key).toBe('login.sessionEnded');
  });
});

describe('pages anyone can open', () => {
  it('answers an unknown path with a 404 page that leads home, not a redirect', async () => {
    const { wrapper, router } = await mountAt('/no/such/page');
    expect(router.currentRoute.value.fullPath).toBe('/no/such/page');
    expect(wrapper.find('h1').text()).toBe('页面不存在');
    expect(wrapper.find('[data-testid="not-found"] a').attributes('href')).toBe('/');
  });

  it('has a privacy policy that says what comes from Weibo, for how long, and how to delete it', async () => {
    const { wrapper } = await mountAt('/privacy');
    const text = wrapper.text();
    expect(wrapper.find('h1').text()).toBe('隐私政策');
    for (const fact of [
      '微博用户 ID（uid）',
      '微博昵称和头像',
      '授权凭证（access token）',
      '7 天',
      '180 天',
      '注销账号',
      '解除微博绑定',
      '取消对本站的授权',
    ]) {
      expect(text).toContain(fact);
    }
  });

  it('has terms of service', async () => {
    const { wrapper } = await mountAt('/terms');
    expect(wrapper.find('h1').text()).toBe('用户协议');
    expect(wrapper.find('a[href="/privacy"]').text()).toBe('《隐私政策》');
  });
});
