/**
 * The 取消授权回调页 notice (reference §8): when a user revokes, Weibo tells the app with `source`, `uid`, `auth_end`.
 * Fire and forget: a dead or slow callback endpoint must never hurt the simulator.
 */
import type { Lifecycle } from './endpoint-runner.ts';
import type { SimState } from './state.ts';
import type { SimApp } from './types.ts';

const CALLBACK_TIMEOUT_MS = 5_000;

export function notifyCancel(state: SimState, lifecycle: Lifecycle, app: SimApp, uid: string): void {
  const url = app.cancelCallbackUrl;
  if (!url) return;
  const body = new URLSearchParams({ source: app.clientId, uid, auth_end: String(Math.floor(state.now() / 1000)) });
  const signal = AbortSignal.any([lifecycle.closing.signal, AbortSignal.timeout(CALLBACK_TIMEOUT_MS)]);
  const counters = state.cancelCallbacks;
  // Counted on the object captured now, so a reset in between does not mix old callbacks into new stats.
  fetch(url, { method: 'POST', body, signal })
    .then(async (res) => {
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) counters.sent++;
      else counters.failed++;
    })
    .catch(() => {
      counters.failed++;
    });
}
