import { describe, expect, it } from 'vitest';
import { createMemoryHistory } from 'vue-router';
import { createAppRouter } from '../src/router/index.ts';
import { saveSession, storedSession } from '../src/lib/stored-session.ts';
import { notifyUnauthenticated } from '../src/lib/trpc-events.ts';
import { takeFlash } from '../src/lib/flash.ts';
import { session } from './support/fake-api.ts';

describe('route guard', () => {
  it('sends an unsigned visit to /login with where it was going', async () => {
    const router = createAppRouter(createMemoryHistory());
    await router.push('/');
    expect(router.currentRoute.value.fullPath).toBe('/login?redirect=/');
  });

  it('lets the Weibo callback through unsigned', async () => {
    const router = createAppRouter(createMemoryHistory());
    await router.push('/weibo?code=c&state=s');
    expect(router.currentRoute.value.name).toBe('weibo-callback');
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
