/**
 * A stand-in for the tRPC client of src/lib/trpc.ts, typed from it (and so from AppRouter): every
 * procedure's `query` or `mutate` is a vi.fn of the real one's type, made the first time a test
 * or the app reaches it, so a new procedure needs nothing here. Tests queue answers or errors on
 * them (`api.auth.login.mutate.mockResolvedValueOnce(...)`), and TypeScript holds those answers
 * to the router's outputs.
 */
import { vi, type Mock } from 'vitest';
import type { ErrorReason } from '@weibo-login/shared';
import type { api as realApi } from '../../src/lib/trpc.ts';

/** A procedure's call as a plain async function of its input (tRPC's own returns a tagged promise). */
type MockedCall<F extends (...args: never[]) => unknown> = Mock<(...args: Parameters<F>) => Promise<Awaited<ReturnType<F>>>>;
type Mocked<T> = { [K in keyof T]: T[K] extends (...args: never[]) => unknown ? MockedCall<T[K]> : Mocked<T[K]> };
export type FakeApi = Mocked<typeof realApi>;

/** `api.<namespace>.<procedure>.<query|mutate>`: each level made on first use, then kept. */
function lazily(depth: number): object {
  const made = new Map<PropertyKey, unknown>();
  return new Proxy(
    {},
    {
      get(_target, key) {
        // Not a thenable: `await loadApi()` resolves to the fake itself.
        if (key === 'then') return undefined;
        if (!made.has(key)) made.set(key, depth === 0 ? vi.fn() : lazily(depth - 1));
        return made.get(key);
      },
    },
  );
}

export function createFakeApi(): FakeApi {
  return lazily(2) as FakeApi;
}

/** What the real client throws for an API error: a TRPCClientError whose `data` carries the reason. */
export function apiError(reason: ErrorReason, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(reason), { data: { reason, ...extra } });
}

export const session = { token: 'header.payload.signature', expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
export const user = { id: '1', account: 'alice', displayName: null, avatarUrl: null, hasPassword: true };

export function signedIn(redirectTo = '/') {
  return { status: 'signed_in' as const, session, user, redirectTo };
}

export function bindRequired(overrides: { canRegister?: boolean; screenName?: string; redirectTo?: string } = {}) {
  return {
    status: 'bind_required' as const,
    ticket: 'ticket-1',
    profile: {
      uid: '5285840175',
      screenName: overrides.screenName ?? '林小暖',
      avatarUrl: 'http://127.0.0.1:4000/avatars/5285840175.svg',
    },
    redirectTo: overrides.redirectTo ?? '/?from=weibo',
    canRegister: overrides.canRegister ?? true,
  };
}

export const weiboIdentity = {
  provider: 'weibo' as const,
  uid: '5285840175',
  screenName: '林小暖',
  avatarUrl: null,
  boundAt: '2026-01-02T03:04:05.000Z',
};

const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const WEIBO_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Weibo (iPhone15,2__weibo__14.6.0__iphone__os17.5)';
export const userAgents = { CHROME_WINDOWS, WEIBO_IPHONE };

export function device(
  overrides: Partial<{ id: string; current: boolean; userAgent: string | null; method: 'password' | 'weibo'; ip: string | null }> = {},
) {
  return {
    id: overrides.id ?? 'd1',
    current: overrides.current ?? false,
    createdAt: '2026-01-01T00:00:00.000Z',
    lastUsedAt: '2026-01-02T00:00:00.000Z',
    ip: overrides.ip === undefined ? '203.0.113.7' : overrides.ip,
    userAgent: overrides.userAgent === undefined ? CHROME_WINDOWS : overrides.userAgent,
    method: overrides.method ?? 'password',
  };
}
