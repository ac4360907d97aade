/**
 * The only place that builds the tRPC client (ARCHITECTURE rule 8). It knows the URL and the
 * token: every call carries `Authorization: Bearer <token>` while signed in, and an
 * UNAUTHENTICATED answer to a call that carried the token drops it, so the app falls back to
 * the sign-in page.
 */
import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from '@weibo-login/api/router';
import { currentToken, dropSession } from './stored-session.ts';
import { notifyUnauthenticated } from './trpc-events.ts';

function reasonInBody(body: unknown): unknown {
  return (body as { error?: { data?: { reason?: unknown } } } | null)?.error?.data?.reason;
}

/** Reads the answer beside tRPC (which still gets it whole) to notice a dead session once, here,
 * rather than in every view. */
async function fetchNoticingDeadSessions(url: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const sentToken = new Headers(init?.headers).get('authorization')?.replace(/^Bearer /, '') ?? null;
  const response = await fetch(url, init);
  if (sentToken !== null && response.status === 401) {
    const body: unknown = await response
      .clone()
      .json()
      .catch(() => null);
    // A newer sign-in may have replaced the token meanwhile; only the token that died is dropped.
    if (reasonInBody(body) === 'UNAUTHENTICATED' && currentToken() === sentToken) {
      dropSession();
      notifyUnauthenticated();
    }
  }
  return response;
}

export const api = createTRPCClient<AppRouter>({
  links: [
    httpLink({
      url: '/trpc',
      fetch: fetchNoticingDeadSessions,
      headers: () => {
        const token = currentToken();
        return token ? { Authorization: `Bearer ${token}` } : {};
      },
    }),
  ],
});
