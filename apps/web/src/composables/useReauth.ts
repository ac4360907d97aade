/**
 * Re-authentication (CONTRACT §3, 2e): sensitive actions need the password in the call or a proof
 * of presence within the last 5 minutes, made with the password (account.reauthenticate) or with a
 * fresh Weibo sign-in (a trip with intent 'reauth' that comes back through /weibo).
 *
 * This tab remembers, in memory, until when its session counts as re-authenticated, so that an
 * action that needs it can go ahead without asking twice (the API remains the judge: it answers
 * REAUTH_REQUIRED when the tab is wrong). A Weibo re-authentication leaves the page, so the action
 * the person was on is noted first (sessionStorage, the action's name only, never a password) and
 * picked up again by the account page on the way back.
 */
import { shallowRef } from 'vue';
import { loadApi } from '../lib/load-api.ts';
import { readStored, removeStored, writeStored } from '../lib/storage.ts';
import { useWeiboLogin } from './useWeiboLogin.ts';

/** What a Weibo re-authentication was for: the account page reopens it on the way back. */
export type ResumeAction = 'set-password' | 'delete';
const RESUME_ACTIONS: readonly ResumeAction[] = ['set-password', 'delete'];
const RESUME_KEY = 'weibo-login.resume';
/** A note older than Weibo's state (10 minutes) cannot belong to the return being handled. */
const RESUME_LIFETIME_MS = 10 * 60 * 1000;

/** Until when (epoch ms) this session counts as re-authenticated, as far as this tab knows. */
const reauthenticatedUntil = shallowRef(0);

export function markReauthenticated(until: string): void {
  const at = Date.parse(until);
  if (Number.isFinite(at)) reauthenticatedUntil.value = at;
}

export function forgetReauthentication(): void {
  reauthenticatedUntil.value = 0;
}

export function isReauthenticated(now = Date.now()): boolean {
  return reauthenticatedUntil.value > now;
}

export function rememberResume(action: ResumeAction): void {
  writeStored('session', RESUME_KEY, JSON.stringify({ action, at: Date.now() }));
}

/** The action a Weibo re-authentication was started for, read once. */
export function takeResume(now = Date.now()): ResumeAction | null {
  const raw = readStored('session', RESUME_KEY);
  removeStored('session', RESUME_KEY);
  try {
    const note = JSON.parse(raw ?? 'null') as { action?: unknown; at?: unknown } | null;
    const action = RESUME_ACTIONS.find((known) => known === note?.action);
    return action && typeof note?.at === 'number' && now - note.at < RESUME_LIFETIME_MS ? action : null;
  } catch {
    return null;
  }
}

export function useReauth() {
  const weibo = useWeiboLogin();

  async function withPassword(password: string): Promise<void> {
    const api = await loadApi();
    const { until } = await api.account.reauthenticate.mutate({ password });
    markReauthenticated(until);
  }

  /** Leaves for Weibo (forcelogin): /weibo brings the person back to the action. */
  async function withWeibo(action: ResumeAction): Promise<void> {
    rememberResume(action);
    await weibo.start({ intent: 'reauth', redirectTo: '/' });
  }

  return { withPassword, withWeibo, isReauthenticated, reauthenticatedUntil };
}
