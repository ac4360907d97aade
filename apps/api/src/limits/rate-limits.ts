/**
 * Rate limits on the work that costs the most and that anyone can ask for: new accounts (a
 * bcrypt hash each) and calls to Weibo (the site's quota, and our client secret sent each time).
 * Counted per address key (limits/address.ts) and in total, in this process's memory with
 * rate-limiter-flexible: several API instances each count their own (docs/security.md says what
 * that means). Over a limit the call is refused at once with TOO_MANY_ATTEMPTS and a wait.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../errors.ts';
import {
  REGISTRATIONS_PER_ADDRESS,
  REGISTRATIONS_TOTAL,
  WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS,
  WEIBO_CALLS_PER_ADDRESS,
} from './bounds.ts';

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
   * throws TOO_MANY_ATTEMPTS when the site's budget is spent. */
  admitSiteWeiboCalls(calls: number): Promise<void>;
}

export interface WorkLimitsOptions {
  weiboCallsPerMinute: number;
}

const limiter = (rate: { points: number; windowSeconds: number }) => new RateLimiterMemory({ points: rate.points, duration: rate.windowSeconds });

export function createWorkLimits(options: WorkLimitsOptions): WorkLimits {
  const registrationsByAddress = limiter(REGISTRATIONS_PER_ADDRESS);
  const registrationsTotal = limiter(REGISTRATIONS_TOTAL);
  const weiboByAddress = limiter(WEIBO_CALLS_PER_ADDRESS);
  const weiboTotal = limiter({ points: options.weiboCallsPerMinute, windowSeconds: 60 });
  const weiboInFlight = new Map<string, number>();

  return {
    async refuseSpentRegistrations(addressKey) {
      await refuseIfSpent(registrationsByAddress, addressKey, REGISTRATIONS_PER_ADDRESS.points);
      await refuseIfSpent(registrationsTotal, TOTAL, REGISTRATIONS_TOTAL.points);
    },

    async admitRegistration(addressKey) {
      await consume(registrationsByAddress, addressKey, 1);
      await consume(registrationsTotal, TOTAL, 1);
    },

    async admitSiteWeiboCalls(calls) {
      await consume(weiboTotal, TOTAL, calls);
    },

    async admitWeiboCalls(addressKey, calls) {
      const inFlight = weiboInFlight.get(addressKey) ?? 0;
      // Calls in flight end within WEIBO_TIMEOUT_MS: a moment's wait is the honest answer.
      if (inFlight >= WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS) throw new AppError('TOO_MANY_ATTEMPTS', { retryAfterSeconds: 1, limit: 'rate' });
      await consume(weiboByAddress, addressKey, calls);
      await consume(weiboTotal, TOTAL, calls);
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

/** Throws TOO_MANY_ATTEMPTS, with the limiter's wait, when the key's points are all spent. */
async function refuseIfSpent(rateLimiter: RateLimiterMemory, key: string, points: number): Promise<void> {
  const spent = await rateLimiter.get(key);
  if (spent && spent.consumedPoints >= points) throw refusedFor(spent);
}

const refusedFor = (refusal: RateLimiterRes) =>
  new AppError('TOO_MANY_ATTEMPTS', { retryAfterSeconds: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)), limit: 'rate' });

/** Takes the points or throws TOO_MANY_ATTEMPTS with the limiter's own wait. */
async function consume(rateLimiter: RateLimiterMemory, key: string, points: number): Promise<void> {
  try {
    await rateLimiter.consume(key, points);
  } catch (refusal) {
    if (!(refusal instanceof RateLimiterRes)) throw refusal;
    throw refusedFor(refusal);
  }
}
