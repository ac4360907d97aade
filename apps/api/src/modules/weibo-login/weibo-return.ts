/**
 * The first half of every return from Weibo (weibo.login, weibo.connect, weibo.finish): the calls
 * it makes to Weibo are counted against this address and the site before anything else, then the
 * state is spent and the code exchanged for a token (which names the Weibo uid).
 */
import type { AppDeps } from '../../deps.ts';
import type { RequestInfo } from '../../types.ts';
import type { ProviderToken } from '../../oauth/provider.ts';
import { consumeState, type SpentState } from '../../oauth/state.ts';

/** A return from Weibo is two calls to it: the token, then the profile. */
const WEIBO_CALLS_PER_RETURN = 2;

/**
 * Runs `work` as one return from Weibo: admitted against the per-address and site-wide limits on
 * calls to Weibo before the state is spent (so that a return refused here can be tried again with
 * the same state), and counted as in flight until it ends.
 */
export async function asWeiboReturn<T>(deps: AppDeps, request: RequestInfo, work: () => Promise<T>): Promise<T> {
  const done = await deps.limits.admitWeiboCalls(request.addressKey, WEIBO_CALLS_PER_RETURN);
  try {
    return await work();
  } finally {
    done();
  }
}

/** Spends the state (`accept` may refuse it first, unspent) and exchanges the code. */
export async function spendStateAndExchange(
  deps: AppDeps,
  input: { code: string; state: string },
  request: RequestInfo,
  accept: (state: SpentState) => void | Promise<void>,
): Promise<{ state: SpentState; token: ProviderToken }> {
  const state = await consumeState(deps.db, { state: input.state, browserId: request.browserId, now: deps.now() }, accept);
  const token = await deps.weibo.exchangeCode(input.code, request.log);
  return { state, token };
}
