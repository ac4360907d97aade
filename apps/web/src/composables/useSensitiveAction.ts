/**
 * An account action the API may refuse with REAUTH_REQUIRED (CONTRACT §3, 2e): like
 * useAsyncAction, but that refusal is not shown as an error. It sets `reauthNeeded`, for the view
 * to ask "为了你的账号安全，请验证身份" in place; once the person has, `resume()` runs the action
 * again with the same arguments, so they carry on where they were.
 */
import { ref } from 'vue';
import { useAsyncAction } from './useAsyncAction.ts';

export function useSensitiveAction<Args extends unknown[], Result>(action: (...args: Args) => Promise<Result>) {
  const inner = useAsyncAction(action);
  const reauthNeeded = ref(false);
  let lastArgs: Args | null = null;

  async function run(...args: Args): Promise<Result | undefined> {
    lastArgs = args;
    reauthNeeded.value = false;
    const result = await inner.run(...args);
    if (inner.error.value?.reason === 'REAUTH_REQUIRED') {
      inner.reset();
      reauthNeeded.value = true;
    }
    return result;
  }

  /** After a re-authentication: the same call again. */
  function resume(): Promise<Result | undefined> {
    return lastArgs ? run(...lastArgs) : Promise.resolve(undefined);
  }

  function cancel(): void {
    reauthNeeded.value = false;
    lastArgs = null;
    inner.reset();
  }

  return { busy: inner.busy, error: inner.error, run, resume, cancel, reauthNeeded };
}
