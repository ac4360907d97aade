/**
 * Counts per key in fixed windows of `windowSeconds`, each opened by the key's first count after
 * its last window ended (the semantics of rate-limiter-flexible's RateLimiterMemory, which this
 * replaces). Hand-written for its memory: RateLimiterMemory keeps a record and a timer per key for
 * the whole window, measured at 460 bytes of live heap per key (46 MB for 100,000 addresses in a
 * minute, the rate of the bench's logins from new addresses: a third of the old generation that
 * limits/bounds.ts allows, API_OLD_SPACE_MB), and 3.5 µs a count. Here a key is one small object
 * in a Map (14.5 MB for the same 100,000, 0.75 µs a count), and ended windows are swept out once
 * per window length. The layer bench's CPU per login did not visibly change with it.
 */
interface Window {
  startedAt: number;
  count: number;
}

export class WindowCounter {
  readonly points: number;
  private readonly windowMs: number;
  private readonly windows = new Map<string, Window>();
  private nextSweepAt = 0;

  constructor(rate: { points: number; windowSeconds: number }) {
    this.points = rate.points;
    this.windowMs = rate.windowSeconds * 1000;
  }

  /** Counts `points` for the key and answers 0, or, when they do not fit in what is left of its
   * window, counts nothing and answers the ms until the window ends. */
  take(key: string, points: number, now = Date.now()): number {
    const window = this.current(key, now);
    if (window.count + points > this.points) return this.msLeft(window, now);
    window.count += points;
    return 0;
  }

  /** The ms until the key's window ends when its points are all spent; 0 when some are left. */
  spentFor(key: string, now = Date.now()): number {
    const window = this.windows.get(key);
    if (!window || this.ended(window, now) || window.count < this.points) return 0;
    return this.msLeft(window, now);
  }

  /** Keys held, ended windows included until the next sweep (tests). */
  get size(): number {
    return this.windows.size;
  }

  private current(key: string, now: number): Window {
    if (now >= this.nextSweepAt) this.sweep(now);
    let window = this.windows.get(key);
    if (!window || this.ended(window, now)) {
      window = { startedAt: now, count: 0 };
      this.windows.set(key, window);
    }
    return window;
  }

  private ended(window: Window, now: number): boolean {
    return now >= window.startedAt + this.windowMs;
  }

  private msLeft(window: Window, now: number): number {
    return Math.max(1, window.startedAt + this.windowMs - now);
  }

  /** Forgets ended windows: each key is held at most two window lengths after its last count. */
  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (this.ended(window, now)) this.windows.delete(key);
    this.nextSweepAt = now + this.windowMs;
  }
}
