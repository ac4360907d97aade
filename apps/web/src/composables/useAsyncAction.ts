/**
 * One API action as a view uses it: `busy` while it runs (to disable the button), the last
 * failure as a UiError (to show through lib/errors.ts), and `run`, which resolves to the result
 * or to undefined when it failed. A second run while one is going is ignored (double submit).
 */
import { ref, shallowRef, type Ref, type ShallowRef } from 'vue';
import { toUiError, type UiError } from '../lib/errors.ts';

export interface AsyncAction<Args extends unknown[], Result> {
  busy: Ref<boolean>;
  error: ShallowRef<UiError | null>;
  run: (...args: Args) => Promise<Result | undefined>;
  reset: () => void;
}

export function useAsyncAction<Args extends unknown[], Result>(action: (...args: Args) => Promise<Result>): AsyncAction<Args, Result> {
  const busy = ref(false);
  const error = shallowRef<UiError | null>(null);

  async function run(...args: Args): Promise<Result | undefined> {
    if (busy.value) return undefined;
    busy.value = true;
    error.value = null;
    try {
      return await action(...args);
    } catch (caught) {
      error.value = toUiError(caught);
      return undefined;
    } finally {
      busy.value = false;
    }
  }

  return { busy, error, run, reset: () => (error.value = null) };
}
