/**
 * Benchmark 4a: steady state. 100,000 bound-user Weibo logins in batches (each batch's states
 * and codes minted just before it); after each batch the API process reports its RSS, heap and
 * event-loop delay. Memory is "flat" when, after the warm-up batches, no reading is more than
 * 10 % above the first one. A full collection before the first and after the last login tells a
 * leak (the retained heap grows) from allocator high-water marks (only the RSS does). The rate
 * limits keep each address that called Weibo for a window (WEIBO_CALLS_PER_ADDRESS): at ~1,400
 * logins/s from new addresses that is ~10 MB, more the faster the API is, so the last reading is
 * taken once those windows have ended (and one more login has had them swept out).
 */
import { WEIBO_CALLS_PER_ADDRESS } from '@weibo-login/api/bounds';
import { createBoundUsers, prepareLogins, productTarget } from './lib/fixtures.ts';
import { openPool, runLoad } from './lib/load.ts';
import { createDatabase, startApi, startSimulator } from './lib/processes.ts';
import { median } from './lib/stats.ts';

const CONCURRENCY = 32;
const BOUND_USERS = 32;
export const WARM_UP_BATCHES = 2;

export interface SteadySample {
  logins: number;
  rssBytes: number;
  heapUsedBytes: number;
  loopDelayP99: number;
  loopDelayMax: number;
  perSecond: number;
}

export interface SteadyState {
  database: 'sqlite';
  concurrency: number;
  totalLogins: number;
  samples: SteadySample[];
  /** Highest RSS after warm-up over the first reading after warm-up, minus one. */
  rssGrowth: number;
  heapGrowth: number;
  loopDelayP99: number;
  loopDelayMax: number;
  perSecond: number;
  /** Heap still in use after a full collection, before the first login and after the last: a
   * leak would show as a difference (the RSS also follows V8's and malloc's high-water marks). */
  retainedHeapBefore: number;
  retainedHeapAfter: number;
  /** The same, once the last addresses' rate windows have ended and been swept out. */
  retainedHeapSettled: number;
}

export async function benchmarkSteadyState(totalLogins: number, batches: number, log: (line: string) => void): Promise<SteadyState> {
  const db = await createDatabase('sqlite');
  const sim = await startSimulator();
  const api = await startApi({ databaseUrl: db.url, simUrl: sim.url });
  const pool = await openPool(api.url, CONCURRENCY);
  const target = productTarget(api.url);
  const batchSize = Math.ceil(totalLogins / batches);
  try {
    const users = await createBoundUsers(pool, sim.url, BOUND_USERS);
    const retainedHeapBefore = await api.retainedHeap();
    const samples: SteadySample[] = [];
    for (let batch = 1; batch <= batches; batch++) {
      const prepared = await prepareLogins(pool, target, sim.url, users, batchSize);
      await api.metrics(); // Leaves the set-up calls out of this batch's event-loop figures.
      const result = await runLoad(pool, prepared, CONCURRENCY, 'signed_in');
      if (result.failures > 0) throw new Error(`steady state: ${result.failures} logins failed; first: ${result.firstFailure}`);
      const metrics = await api.metrics();
      samples.push({
        logins: batch * batchSize,
        rssBytes: metrics.rssBytes,
        heapUsedBytes: metrics.heapUsedBytes,
        loopDelayP99: metrics.loopDelay.p99,
        loopDelayMax: metrics.loopDelay.max,
        perSecond: result.perSecond,
      });
      log(
        `  ${batch * batchSize} logins: ${result.perSecond.toFixed(0)}/s, RSS ${(metrics.rssBytes / 2 ** 20).toFixed(1)} MiB, heap ${(metrics.heapUsedBytes / 2 ** 20).toFixed(1)} MiB, loop delay p99 ${metrics.loopDelay.p99.toFixed(1)} ms`,
      );
    }
    const retainedHeapAfter = await api.retainedHeap();
    await new Promise((resolve) => setTimeout(resolve, WEIBO_CALLS_PER_ADDRESS.windowSeconds * 1000 + 1000));
    const sweeping = await runLoad(pool, await prepareLogins(pool, target, sim.url, users, 1), 1, 'signed_in');
    if (sweeping.failures > 0) throw new Error(`steady state: the last login failed: ${sweeping.firstFailure}`);
    const retainedHeapSettled = await api.retainedHeap();
    const settled = samples.slice(WARM_UP_BATCHES);
    const growth = (values: number[]) => Math.max(...values) / values[0]! - 1;
    return {
      database: 'sqlite',
      concurrency: CONCURRENCY,
      totalLogins: batchSize * batches,
      samples,
      rssGrowth: growth(settled.map((s) => s.rssBytes)),
      heapGrowth: growth(settled.map((s) => s.heapUsedBytes)),
      loopDelayP99: median(samples.map((s) => s.loopDelayP99)),
      loopDelayMax: Math.max(...samples.map((s) => s.loopDelayMax)),
      perSecond: median(samples.map((s) => s.perSecond)),
      retainedHeapBefore,
      retainedHeapAfter,
      retainedHeapSettled,
    };
  } finally {
    await pool.close();
    await api.stop();
    await sim.stop();
    await db.drop();
  }
}
