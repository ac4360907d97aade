/**
 * The Weibo round trip from the browser's side: leave for Weibo (remembering, per state, whether
 * this was a sign-in or a "connect" from the account page), read what Weibo sent back, finish
 * with weibo.login / weibo.connect, and the two ways out of the bind panel.
 */
import type { BindRequired, Identity, SignedIn } from '@weibo-login/shared';
import { loadApi } from '../lib/load-api.ts';
import { readStored, removeStored, writeStored } from '../lib/storage.ts';
import type { Credentials } from '../lib/validation.ts';
import { adoptSignedIn } from './useSession.ts';

export type WeiboIntent = 'login' | 'connect';

/** What this tab meant when it left for Weibo, remembered under the state it was given: the API
 * needs the intent back (weibo.login or weibo.connect), and a failure page offers the same trip. */
export interface WeiboTrip {
  intent: WeiboIntent;
  redirectTo?: string;
}

/** What Weibo put in the /weibo address. */
export type WeiboReturn =
  | { kind: 'code'; code: string; state: string }
  | { kind: 'denied'; state: string | null }
  | { kind: 'weibo-error'; errorCode: string }
  | { kind: 'none' };

export type WeiboOutcome =
  { kind: 'signed-in'; redirectTo: string } | { kind: 'bind'; pending: BindRequired } | { kind: 'connected'; identity: Identity };

const TRIP_KEY_PREFIX = 'weibo-login.trip.';
const PENDING_BIND_KEY = 'weibo-login.pending-bind';
/** Weibo's "the user refused" (error=access_denied, error_code=21330). */
const WEIBO_DENIED_CODE = '21330';

// Without sessionStorage a connect return is taken for a login; the API then refuses the state
// (its intent differs) and the page offers to start again.
const sessionGet = (key: string) => readStored('session', key);
const sessionSet = (key: string, value: string) => void writeStored('session', key, value);
const sessionRemove = (key: string) => removeStored('session', key);

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

function rememberTrip(state: string, trip: WeiboTrip): void {
  sessionSet(TRIP_KEY_PREFIX + state, JSON.stringify(trip));
}

/** The trip a state belongs to, forgotten as it is read (a state is good for one return only).
 * An unknown state is taken for a sign-in; the API refuses it if it was not one. */
export function takeTrip(state: string | null): WeiboTrip {
  if (!state) return { intent: 'login' };
  const raw = sessionGet(TRIP_KEY_PREFIX + state);
  sessionRemove(TRIP_KEY_PREFIX + state);
  try {
    const trip = JSON.parse(raw ?? 'null') as Partial<WeiboTrip> | null;
    const intent: WeiboIntent = trip?.intent === 'connect' ? 'connect' : 'login';
    return typeof trip?.redirectTo === 'string' ? { intent, redirectTo: trip.redirectTo } : { intent };
  } catch {
    return { intent: 'login' };
  }
}

export function pendingBind(): BindRequired | null {
  const raw = sessionGet(PENDING_BIND_KEY);
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as BindRequired;
    return parsed.status === 'bind_required' && typeof parsed.ticket === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

export function forgetPendingBind(): void {
  sessionRemove(PENDING_BIND_KEY);
}

export function useWeiboLogin() {
  /** Sends the browser to Weibo; resolves only if it could not (the error is the caller's). */
  async function start(options: { intent: WeiboIntent; redirectTo?: string | undefined }): Promise<void> {
    const trip: WeiboTrip = options.redirectTo ? { intent: options.intent, redirectTo: options.redirectTo } : { intent: options.intent };
    const api = await loadApi();
    const { url, state } = await api.weibo.authorizeUrl.query(trip);
    rememberTrip(state, trip);
    window.location.assign(url);
  }

  async function finish(code: string, state: string, trip: WeiboTrip): Promise<WeiboOutcome> {
    const api = await loadApi();
    if (trip.intent === 'connect') {
      const { identity } = await api.weibo.connect.mutate({ code, state });
      return { kind: 'connected', identity };
    }
    const result = await api.weibo.login.mutate({ code, state });
    if (result.status === 'signed_in') {
      adoptSignedIn(result);
      forgetPendingBind();
      return { kind: 'signed-in', redirectTo: result.redirectTo };
    }
    // Kept for this tab only, so a reload of the bind panel shows it again instead of a dead end.
    sessionSet(PENDING_BIND_KEY, JSON.stringify(result));
    return { kind: 'bind', pending: result };
  }

  async function bindExisting(ticket: string, credentials: Credentials): Promise<SignedIn> {
    const api = await loadApi();
    const result = await api.weibo.bind.mutate({ ticket, ...credentials });
    adoptSignedIn(result);
    forgetPendingBind();
    return result;
  }

  async function registerNew(ticket: string, credentials: Credentials): Promise<SignedIn> {
    const api = await loadApi();
    const result = await api.weibo.register.mutate({ ticket, ...credentials });
    adoptSignedIn(result);
    forgetPendingBind();
    return result;
  }

  return { start, finish, bindExisting, registerNew };
}
