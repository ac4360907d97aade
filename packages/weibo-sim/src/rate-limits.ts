/**
 * Weibo's per-app request quotas (reference §7 "Rate limits"): per server IP, per user, and per user and API,
 * each counted in fixed windows that start on the hour like Weibo's hourly reset. Exceeding one answers
 * 10022, 10023 or 10024. The window length and the clock are injectable so tests never wait an hour.
 */
import type { RateLimits } from './types.ts';

export const RATE_LIMIT_CODES = [10022, 10023, 10024] as const;
export type RateLimitCode = (typeof RATE_LIMIT_CODES)[number];

function zeroRefusals(): Record<RateLimitCode, number> {
  return { 10022: 0, 10023: 0, 10024: 0 };
}

export type RateLimitRequest = { clientId: string; ip: string; uid: string; api: string };

export class RateLimiter {
  /** How many requests each quota refused, by error code, since the last reset. */
  refused = zeroRefusals();
  private readonly counts = new Map<string, number>();
  private windowStart = Number.NaN;
  private readonly now: () => number;
  private readonly windowMs: number;

  constructor(now: () => number, windowMs: number) {
    this.now = now;
    this.windowMs = windowMs;
  }

  /**
   * Counts one request against the app's quotas, or answers the code of the first quota it would exceed, checked
   * in Weibo's order: IP, then user, then user and API. A refused request uses up nothing, so the quota is
   * exactly the number of answered requests per window.
   */
  take(limits: RateLimits, request: RateLimitRequest): RateLimitCode | undefined {
    this.roll();
    const { clientId, ip, uid, api } = request;
    const quotas: [RateLimitCode, string, number | undefined][] = [
      [10022, `ip ${clientId} ${ip}`, limits.perIpPerHour],
      [10023, `user ${clientId} ${uid}`, limits.perUserPerHour],
      [10024, `api ${clientId} ${uid} ${api}`, limits.perUserPerApiPerHour],
    ];
    for (const [code, key, limit] of quotas) {
      if (limit !== undefined && (this.counts.get(key) ?? 0) >= limit) {
        this.refused[code]++;
        return code;
      }
    }
    for (const [, key, limit] of quotas) if (limit !== undefined) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    return undefined;
  }

  /** Forgets this window's counts, as if the next window had begun (for clients that cannot move the clock). */
  newWindow(): void {
    this.counts.clear();
  }

  reset(): void {
    this.counts.clear();
    this.refused = zeroRefusals();
  }

  /** Windows are aligned to multiples of their length since the epoch: an hourly window turns over on the hour. */
  private roll(): void {
    const start = Math.floor(this.now() / this.windowMs) * this.windowMs;
    if (start === this.windowStart) return;
    this.windowStart = start;
    this.counts.clear();
  }
}
