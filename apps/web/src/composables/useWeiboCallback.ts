/**
 * The page Weibo comes back to (/weibo), as state: what Weibo sent is read and taken out of the
 * address bar at once, so a reload or Back never sends a spent code again; then weibo.finish
 * decides (the server knows what the trip was for): signed in, the bind panel, a Weibo connected
 * or a re-authentication, or a problem that says what happened and how to go on.
 * The page never waits without end: after FINISH_PATIENCE_MS it offers the ways on while it keeps
 * waiting. Call it from the view's setup.
 */
import { onBeforeUnmount, onMounted, ref, shallowRef } from 'vue';
import { useRouter } from 'vue-router';
import type { BindRequired, SignedIn } from '@weibo-login/shared';
import type { WeiboProblem } from '../components/WeiboProblemPanel.vue';
import { toUiError, type UiError } from '../lib/errors.ts';
import { setFlash } from '../lib/flash.ts';
import { markReauthenticated, takeResume } from './useReauth.ts';
import { useSession } from './useSession.ts';
import { forgetPendingBind, pendingBind, readWeiboReturn, scrubWeiboReturnFromAddress, useWeiboReturn } from './useWeiboReturn.ts';

/** How long the page shows only "正在确认…" before it also offers retry and the password. The API
 * bounds each call to Weibo (WEIBO_TIMEOUT_MS, 5 s by default) and makes two: past this, something
 * is wrong beyond a slow Weibo, and the person should not be left looking at a spinner. */
export const FINISH_PATIENCE_MS = 15_000;

export function useWeiboCallback() {
  const router = useRouter();
  const weibo = useWeiboReturn();
  const { isSignedIn } = useSession();

  // Synchronously, during setup: nothing may run between arriving and scrubbing the address.
  const weiboReturn = readWeiboReturn(window.location.search);
  if (weiboReturn.kind !== 'none') scrubWeiboReturnFromAddress();

  const phase = ref<'working' | 'bind' | 'problem'>('working');
  /** Still working past FINISH_PATIENCE_MS. */
  const slow = ref(false);
  const pending = shallowRef<BindRequired | null>(null);
  const problem = shallowRef<WeiboProblem>({ kind: 'missing' });
  let patience: ReturnType<typeof setTimeout> | undefined;

  function showProblem(next: WeiboProblem): void {
    problem.value = next;
    phase.value = 'problem';
  }

  function showBind(next: BindRequired): void {
    pending.value = next;
    phase.value = 'bind';
  }

  async function finish(code: string, state: string): Promise<void> {
    patience = setTimeout(() => (slow.value = phase.value === 'working'), FINISH_PATIENCE_MS);
    try {
      const outcome = await weibo.finish(code, state);
      // replace: Back from the destination must not come back to this page.
      if (outcome.kind === 'signed-in') return void (await router.replace(outcome.redirectTo));
      if (outcome.kind === 'bind') return showBind(outcome.pending);
      if (outcome.kind === 'connected') {
        setFlash({ tone: 'success', key: 'account.connected', params: { name: outcome.identity.screenName } });
        return void (await router.replace({ name: 'home' }));
      }
      markReauthenticated(outcome.until);
      const resume = takeResume();
      setFlash({ tone: 'success', key: 'account.reauthenticated' });
      await router.replace(resume === 'delete' ? { name: 'delete-account' } : { name: 'home', query: resume ? { resume } : {} });
    } catch (caught) {
      showProblem({ kind: 'api', error: toUiError(caught) });
    } finally {
      clearTimeout(patience);
      slow.value = false;
    }
  }

  /** The bind panel signed the person in. */
  async function onSignedIn(result: SignedIn): Promise<void> {
    await router.replace(result.redirectTo);
  }

  /** The bind panel's ticket can no longer be used: say why, and offer the trip again. */
  function onDeadEnd(error: UiError): void {
    forgetPendingBind();
    showProblem({ kind: 'api', error });
  }

  onMounted(async () => {
    if (weiboReturn.kind === 'code') return finish(weiboReturn.code, weiboReturn.state);
    if (weiboReturn.kind === 'denied') return showProblem({ kind: 'denied' });
    if (weiboReturn.kind === 'weibo-error') return showProblem({ kind: 'weibo-error', errorCode: weiboReturn.errorCode });
    // No parameters: a reload of the bind panel, or a return to a page whose work is done.
    const stillPending = pendingBind();
    if (stillPending) return showBind(stillPending);
    if (isSignedIn.value) return void (await router.replace({ name: 'home' }));
    showProblem({ kind: 'missing' });
  });
  onBeforeUnmount(() => clearTimeout(patience));

  return { phase, slow, pending, problem, isSignedIn, onSignedIn, onDeadEnd };
}
