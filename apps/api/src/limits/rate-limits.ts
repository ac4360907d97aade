/**
 * Rate limits on the work that costs the most and that anyone can ask for: new accounts (a
 * bcrypt hash each) and calls to Weibo (the site's quota, and our client secret sent each time).
 * Counted per address key (limits/address.ts) and in total, in this process's memory
 * (limits/window-counter.ts): several API instances each count their own (docs/security.md says
 * what that means); the API_WORKERS of one instance count together, in their primary
 * (limits/shared-work-limits.ts). Over a limit the call is refused at once with TOO_MANY_ATTEMPTS
 * and a wait.
 */
import { AppError } from '../errors.ts';
import {
  REGISTRATIONS_PER_ADDRESS,
  REGISTRATIONS_TOTAL,
  REVOCATION_RECHECK_MS,
  REVOCATION_SEEN_MAX,
  WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS,
  WEIBO_CALLS_PER_ADDRESS,
} from './bounds.ts';
import { WindowCounter } from './window-counter.ts';

const TOTAL = 'all';

export interface WorkLimits {
  /**
   * Throws TOO_MANY_ATTEMPTS when the address or the site has no new account left in the window,
   * without counting one: the refusal of a flood costs no database work (measured: a flood of
   * refused sign-up batches on MySQL grew the heap's garbage to 180 MB when each asked the
   * database first).
   */
  refuseSpentRegistrations(addressKey: string): Promise<void>;
  /** Before an account is created: throws TOO_MANY_ATTEMPTS over the per-address or total rate. */
  admitRegistration(addressKey: string): Promise<void>;
  /**
   * Before `calls` calls to Weibo made for this address: throws TOO_MANY_ATTEMPTS over the rate
   * or the calls in flight; otherwise returns the function that marks them done.
   */
  admitWeiboCalls(addressKey: string, calls: number): Promise<() => void>;
  /** Before calls to Weibo that no address asked for (the checks of cancel-authorization hints):
   * counts them and answers true, or false when the site's budget is spent. No one waits for
   * these, so there is no one to tell when to retry. */
  admitSiteWeiboCalls(calls: number): Promise<boolean>;
  /** Before a cancel-authorization hint's uid is checked with Weibo (its stored token asked
   * about): true at most once per REVOCATION_RECHECK_MS for a uid, for the whole instance, so
   * that N workers do not make N checks. */
  admitRevocationCheck(uid: string): Promise<boolean>;
}

export interface WorkLimitsOptions {
  weiboCallsPerMinute: number;
  /** The clock of the revocation rechecks (the tests move it); Date.now by default. */
  now?: () => number;
}

export function createWorkLimits(options: WorkLimitsOptions): WorkLimits {
  const registrationsByAddress = new WindowCounter(REGISTRATIONS_PER_ADDRESS);
  const registrationsTotal = new WindowCounter(REGISTRATIONS_TOTAL);
  const weiboByAddress = new WindowCounter(WEIBO_CALLS_PER_ADDRESS);
  const weiboTotal = new WindowCounter({ points: options.weiboCallsPerMinute, windowSeconds: 60 });
  const weiboInFlight = new Map<string, number>();
  /** uid → when its last check was admitted; a Map keeps insertion order, so the oldest is first. */
  const revocationChecks = new Map<string, number>();
  const now = options.now ?? Date.now;

  return {
    async refuseSpentRegistrations(addressKey) {
      refuseIfSpent(registrationsByAddress, addressKey);
      refuseIfSpent(registrationsTotal, TOTAL);
    },

    async admitRegistration(addressKey) {
      take(registrationsByAddress, addressKey, 1);
      take(registrationsTotal, TOTAL, 1);
    },

    async admitSiteWeiboCalls(calls) {
      return weiboTotal.take(TOTAL, calls) === 0;
    },

    async admitRevocationCheck(uid) {
      const at = now();
      const last = revocationChecks.get(uid);
      if (last !== undefined && at - last < REVOCATION_RECHECK_MS) return false;
      revocationChecks.delete(uid);
      revocationChecks.set(uid, at);
      if (revocationChecks.size > REVOCATION_SEEN_MAX) revocationChecks.delete(revocationChecks.keys().next().value!);
      return true;
    },

    async admitWeiboCalls(addressKey, calls) {
      const inFlight = weiboInFlight.get(addressKey) ?? 0;
      // Calls in flight end within WEIBO_TIMEOUT_MS: a moment's wait is the honest answer.
      if (inFlight >= WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS) throw new AppError('TOO_MANY_ATTEMPTS', { retryAfterSeconds: 1, limit: 'rate' });
      take(weiboByAddress, addressKey, calls);
      take(weiboTotal, TOTAL, calls);
      weiboInFlight.set(addressKey, inFlight + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (weiboInFlight.get(addressKey) ?? 1) - 1;
        if (left <= 0) weiboInFlight.delete(addressKey);
        else weiboInFlight.set(addressKey, left);
      };
    },
  };
}

const refusal = (waitMs: number) =>
  new AppError('TOO_MANY_ATTEMPTS', { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)), limit: 'rate' });

/** Throws TOO_MANY_ATTEMPTS, with the wait, when the key's points are all spent. */
function refuseIfSpent(counter: WindowCounter, key: string): void {
  const waitMs = counter.spentFor(key);
  if (waitMs > 0) throw refusal(waitMs);
}

/** Takes the points or throws TOO_MANY_ATTEMPTS with the wait until the key's window ends. */
function take(counter: WindowCounter, key: string, points: number): void {
  const waitMs = counter.take(key, points);
  if (waitMs > 0) throw refusal(waitMs);
}
