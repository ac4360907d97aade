/**
 * The page Weibo comes back to (/weibo), as state: what Weibo sent is read and taken out of the
 * address bar at once, so a reload or Back never sends a spent code again; then weibo.login (or
 * weibo.connect, for a trip started on the account page) decides: signed in, the bind panel, or
 * a problem that says what happened and how to go on. Call it from the view's setup.
 */
import { onMounted, ref, shallowRef } from 'vue';
import { useRouter } from 'vue-router';
import type { BindRequired, SignedIn } from '@weibo-login/shared';
import type { WeiboProblem } from '../components/WeiboProblemPanel.vue';
import { toUiError, type UiError } from '../lib/errors.ts';
import { setFlash } from '../lib/flash.ts';
import { useSession } from './useSession.ts';
import {
  forgetPendingBind,
  pendingBind,
  readWeiboReturn,
  scrubWeiboReturnFromAddress,
  takeTrip,
  useWeiboLogin,
  type WeiboTrip,
} from './useWeiboLogin.ts';

export function useWeiboCallback() {
  const router = useRouter();
  const weibo = useWeiboLogin();
  const { isSignedIn } = useSession();

  // Synchronously, during setup: nothing may run between arriving and scrubbing the address.
  const weiboReturn = readWeiboReturn(window.location.search);
  if (weiboReturn.kind !== 'none') scrubWeiboReturnFromAddress();
  const trip = ref<WeiboTrip>(
    weiboReturn.kind === 'code' || weiboReturn.kind === 'denied' ? takeTrip(weiboReturn.state) : { intent: 'login' },
  );

  const phase = ref<'working' | 'bind' | 'problem'>('working');
  const pending = shallowRef<BindRequired | null>(null);
  const problem = shallowRef<WeiboProblem>({ kind: 'missing' });

  function showProblem(next: WeiboProblem): void {
    problem.value = next;
    phase.value = 'problem';
  }

  function showBind(next: BindRequired): void {
    pending.value = next;
    trip.value = { intent: 'login', redirectTo: next.redirectTo };
    phase.value = 'bind';
  }

  async function finish(code: string, state: string): Promise<void> {
    try {
      const outcome = await weibo.finish(code, state, trip.value);
      if (outcome.kind === 'signed-in') {
        // replace: Back from the destination must not come back to this page.
        await router.replace(outcome.redirectTo);
      } else if (outcome.kind === 'bind') {
        showBind(outcome.pending);
      } else {
        setFlash({ tone: 'success', key: 'home.connected', params: { name: outcome.identity.screenName } });
        await router.replace({ name: 'home' });
      }
    } catch (caught) {
      showProblem({ kind: 'api', error: toUiError(caught) });
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

  return { phase, pending, problem, trip, onSignedIn, onDeadEnd };
}
