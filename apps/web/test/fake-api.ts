/**
 * A stand-in for the tRPC client of src/lib/trpc.ts: one vi.fn per procedure, shaped like the
 * real client (`api.auth.login.mutate(...)`). Tests queue answers or errors on them.
 */
import { vi, type Mock } from 'vitest';
import type { ErrorReason } from '@weibo-login/shared';

type Call = Mock<(...args: any[]) => Promise<any>>;
const procedure = () => ({ query: vi.fn() as Call, mutate: vi.fn() as Call });

export function createFakeApi() {
  return {
    auth: { login: procedure(), register: procedure(), me: procedure(), logout: procedure(), activity: procedure() },
    weibo: {
      authorizeUrl: procedure(),
      login: procedure(),
      bind: procedure(),
      register: procedure(),
      connect: procedure(),
      unbind: procedure(),
    },
  };
}

export type FakeApi = ReturnType<typeof createFakeApi>;

/** What the real client throws for an API error: a TRPCClientError whose `data` carries the reason. */
export function apiError(reason: ErrorReason, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(reason), { data: { reason, ...extra } });
}

export const session = { token: 'header.payload.signature', expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
export const user = { id: '1', account: 'alice', displayName: null, avatarUrl: null };

export function signedIn(redirectTo = '/') {
  return { status: 'signed_in' as const, session, user, redirectTo };
}
