import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../src/lib/trpc.ts';
import { saveSession, storedSession } from '../src/lib/stored-session.ts';
import { onUnauthenticated } from '../src/lib/trpc-events.ts';
import { session, user } from './support/fake-api.ts';

function errorResponse(status: number, reason: string): Response {
  const body = { error: { message: reason, code: -32001, data: { code: 'UNAUTHORIZED', httpStatus: status, reason } } };
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function requestOf(fetchMock: ReturnType<typeof vi.fn>): { url: string; headers: Headers; init: RequestInit } {
  const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
  return { url: String(url), headers: new Headers(init.headers), init };
}

describe('the tRPC client', () => {
  let stop: (() => void) | undefined;
  afterEach(() => {
    stop?.();
    vi.unstubAllGlobals();
  });

  it('calls /trpc with plain JSON and the bearer token while signed in', async () => {
    saveSession(session);
    const fetchMock = vi.fn(async () => Response.json({ result: { data: { user, identities: [] } } }));
    vi.stubGlobal('fetch', fetchMock);
    await expect(api.auth.me.query()).resolves.toEqual({ user, identities: [] });
    const { url, headers } = requestOf(fetchMock);
    expect(url).toBe('/trpc/auth.me');
    expect(headers.get('authorization')).toBe(`Bearer ${session.token}`);
  });

  it('sends no Authorization header while signed out', async () => {
    const fetchMock = vi.fn(async () => Response.json({ result: { data: { url: 'u', state: 's' } } }));
    vi.stubGlobal('fetch', fetchMock);
    await api.weibo.authorizeUrl.query({ intent: 'login' });
    const { url, headers } = requestOf(fetchMock);
    expect(url).toBe(`/trpc/weibo.authorizeUrl?input=${encodeURIComponent(JSON.stringify({ intent: 'login' }))}`);
    expect(headers.has('authorization')).toBe(false);
  });

  it('drops the token and tells the app when the API says UNAUTHENTICATED', async () => {
    saveSession(session);
    const listener = vi.fn();
    stop = onUnauthenticated(listener);
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => errorResponse(401, 'UNAUTHENTICATED')),
    );
    await expect(api.auth.me.query()).rejects.toMatchObject({ data: { reason: 'UNAUTHENTICATED' } });
    expect(storedSession.value).toBeNull();
    expect(listener).toHaveBeenCalledOnce();
  });

  it('keeps the token on a wrong password (also a 401)', async () => {
    saveSession(session);
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => errorResponse(401, 'BAD_CREDENTIALS')),
    );
    await expect(api.weibo.unbind.mutate({ password: 'wrong password' })).rejects.toMatchObject({
      data: { reason: 'BAD_CREDENTIALS' },
    });
    expect(storedSession.value?.token).toBe(session.token);
  });

  it('keeps a newer token when an older one is refused', async () => {
    saveSession(session);
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        saveSession({ ...session, token: 'newer' });
        return errorResponse(401, 'UNAUTHENTICATED');
      }),
    );
    await expect(api.auth.me.query()).rejects.toBeDefined();
    expect(storedSession.value?.token).toBe('newer');
  });

  it('restores a stored session after a reload, and ignores a corrupt one', async () => {
    localStorage.setItem('weibo-login.session', JSON.stringify(session));
    vi.resetModules();
    const fresh = await import('../src/lib/stored-session.ts');
    expect(fresh.storedSession.value).toEqual(session);
    localStorage.setItem('weibo-login.session', '{not json');
    vi.resetModules();
    expect((await import('../src/lib/stored-session.ts')).storedSession.value).toBeNull();
  });
});
