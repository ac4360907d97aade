/**
 * The per-key window counter behind the registration and Weibo-call rates (limits/rate-limits.ts):
 * the same windows as rate-limiter-flexible's RateLimiterMemory gave, with what it holds bounded.
 * Time is passed in, so nothing here depends on the machine's speed.
 */
import { expect, it } from 'vitest';
import { WindowCounter } from '../src/limits/window-counter.ts';

const T0 = 1_800_000_000_000;

it('counts each key in a window that its first count opens, and says how long until it ends', () => {
  const counter = new WindowCounter({ points: 3, windowSeconds: 60 });
  expect(counter.take('a', 2, T0)).toBe(0);
  expect(counter.take('a', 1, T0 + 10_000)).toBe(0);
  // Full: refused with the rest of a's window, and nothing is counted.
  expect(counter.take('a', 1, T0 + 20_000)).toBe(40_000);
  expect(counter.spentFor('a', T0 + 20_000)).toBe(40_000);
  // Another key has a window of its own, opened later.
  expect(counter.take('b', 3, T0 + 30_000)).toBe(0);
  expect(counter.take('b', 1, T0 + 60_000)).toBe(30_000);
  // a's window has ended: counting starts again; b's has not.
  expect(counter.spentFor('a', T0 + 60_000)).toBe(0);
  expect(counter.take('a', 3, T0 + 60_000)).toBe(0);
  expect(counter.spentFor('b', T0 + 89_999)).toBe(1);
});

it('refuses a count that does not fit in what is left, and keeps what is left for a smaller one', () => {
  const counter = new WindowCounter({ points: 120, windowSeconds: 60 });
  expect(counter.take('ip', 119, T0)).toBe(0);
  expect(counter.take('ip', 2, T0)).toBe(60_000);
  expect(counter.spentFor('ip', T0)).toBe(0);
  expect(counter.take('ip', 1, T0)).toBe(0);
  expect(counter.spentFor('ip', T0)).toBe(60_000);
});

// Without it: with sweep() emptied, the 100,000 keys of the first minute are all still held.
it('forgets keys whose window ended: what it holds is bounded by the keys of the last two windows', () => {
  const counter = new WindowCounter({ points: 120, windowSeconds: 60 });
  for (let i = 0; i < 100_000; i++) counter.take(`198.18.${i >> 8}.${i & 255}`, 2, T0 + (i % 60_000));
  expect(counter.size).toBe(100_000);
  // Two minutes on, one new key: the sweep has dropped every ended window.
  counter.take('203.0.113.1', 2, T0 + 120_000);
  expect(counter.size).toBe(1);
});
