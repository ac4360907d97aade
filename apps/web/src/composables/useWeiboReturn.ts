/**
 * Coming back from Weibo: read what Weibo sent to /weibo, finish with weibo.finish (the server
 * knows what the trip was for), and the two ways out of the bind panel.
 *
 * The one thing this tab keeps is the bind panel's answer (see `pendingBind`).
 */
import type { BindRequired, Identity, SignedIn } from '@weibo-login/shared';
import { loadApi } from '../lib/load-api.ts';
import { readStored, removeStored, writeStored } from '../lib/storage.ts';
import type { Credentials } from '../lib/validation.ts';
import { adoptSignedIn } from './useSession.ts';

/** What Weibo put in the /weibo address. */
export type WeiboReturn =
  | { kind: 'code'; code: string; state: string }
  | { kind: 'denied'; state: string | null }
  | { kind: 'weibo-error'; errorCode: string }
  | { kind: 'none' };

export type WeiboOutcome =
  | { kind: 'signed-in'; redirectTo: string }
  | { kind: 'bind'; pending: BindRequired }
  | { kind: 'connected'; identity: Identity }
  | { kind: 'reauthenticated'; until: string };

const PENDING_BIND_KEY = 'weibo-login.pending-bind';
/** The API's bind tickets live 10 minutes (apps/api bind-tickets.ts TICKET_TTL_MS). A bind panel
 * kept longer could only end in TICKET_INVALID, so a reload after that finds nothing to resume. */
export const BIND_PANEL_LIFETIME_MS = 10 * 60 * 1000;
/** Weibo's "the user refused" (error=access_denied, error_code=21330). */
const WEIBO_DENIED_CODE = '21330';

export function readWeiboReturn(search: string): WeiboReturn {
  const params = new URLSearchParams(search);
  const error = params.get('error');
  const errorCode = params.get('error_code');
  if (error === 'access_denied' || errorCode === WEIBO_DENIED_CODE) return { kind: 'denied', state: params.get('state') };
  if (error || errorCode) return { kind: 'weibo-error', errorCode: (errorCode ?? error ?? '').slice(0, 40) };
  const code = params.get('code');
  const state = params.get('state');
  if (code && state) return { kind: 'code', code, state };
  return { kind: 'none' };
}

/** Takes code and state out of the address bar at once, so that neither a reload nor Back can
 * send a spent code again. vue-router keeps the address in history.state.current and writes it
 * back on the next navigation, so that copy is cleaned too. */
export function scrubWeiboReturnFromAddress(): void {
  const clean = window.location.pathname;
  const state: unknown = window.history.state;
  const nextState = state && typeof state === 'object' ? { ...state, current: clean } : state;
  window.history.replaceState(nextState, '', clean);
}

/**
 * The bind panel's answer, kept for this tab (sessionStorage) so that a reload of the panel shows
 * it again instead of a dead end: the code it came from is spent, and the browser has nothing else
 * to find the server's ticket by. It holds the ticket (single-use, bound to this browser's cookie,
 * 10 minutes) and the Weibo profile to show, never the Weibo token, and goes once used or stale.
 */
export function pendingBind(now = Date.now()): BindRequired | null {
  const raw = readStored('session', PENDING_BIND_KEY);
  if (!raw) return null;
  try {
    const { savedAt, answer } = JSON.parse(raw) as { savedAt: number; answer: BindRequired };
    if (answer?.status === 'bind_required' && typeof answer.ticket === 'string' && now - savedAt < BIND_PANEL_LIFETIME_MS) return answer;
  } catch {
    // Corrupt: nothing to resume.
  }
  forgetPendingBind();
  return null;
}

function rememberPendingBind(answer: BindRequired): void {
  writeStored('session', PENDING_BIND_KEY, JSON.stringify({ savedAt: Date.now(), answer }));
}

export function forgetPendingBind(): void {
  removeStored('session', PENDING_BIND_KEY);
}

export function useWeiboReturn() {
  async function finish(code: string, state: string): Promise<WeiboOutcome> {
    const api = await loadApi();
    const result = await api.weibo.finish.mutate({ code, state });
    switch (result.status) {
      case 'signed_in':
        adoptSignedIn(result);
        forgetPendingBind();
        return { kind: 'signed-in', redirectTo: result.redirectTo };
      case 'bind_required':
        rememberPendingBind(result);
        return { kind: 'bind', pending: result };
      case 'connected':
        return { kind: 'connected', identity: result.identity };
      case 'reauthenticated':
        return { kind: 'reauthenticated', until: result.until };
    }
  }

  async function bindExisting(ticket: string, credentials: Credentials): Promise<SignedIn> {
    const api = await loadApi();
    const result = await api.weibo.bind.mutate({ ticket, ...credentials });
    adoptSignedIn(result);
    forgetPendingBind();
    return result;
  }

  /** `credentials` may leave out either field: the API then names the account (wb_…) or makes
   * it a Weibo-only account without a password. */
  async function registerNew(ticket: string, credentials: Partial<Credentials>): Promise<SignedIn> {
    const api = await loadApi();
    const result = await api.weibo.register.mutate({ ticket, ...credentials });
    adoptSignedIn(result);
    forgetPendingBind();
    return result;
  }

  return { finish, bindExisting, registerNew };
}
