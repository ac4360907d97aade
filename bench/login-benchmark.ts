/**
 * Benchmarks 1 and 2: bound-user Weibo logins per second and latency at several concurrencies,
 * for the product (weibo.login over tRPC) and for the floor (bench/floor), on one database.
 * Both servers run side by side on the same database and simulator, and their runs alternate,
 * so a burst of background load hits both rather than one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createBoundUsers, floorTarget, type LoginTarget, prepareLogins, productTarget } from './lib/fixtures.ts';
import { type LoadResult, openPool, runLoad } from './lib/load.ts';
import { createDatabase, type Service, startApi, startFloor, startSimulator } from './lib/processes.ts';
import { median, medianOf } from './lib/stats.ts';

export const CONCURRENCIES = [1, 8, 32] as const;
/** BENCH_PROFILE_DIR=/tmp/prof: a CPU profile of each timed window (set-up left out), per server. */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const BOUND_USERS = 32;
const WARM_UP_LOGINS = 1000;

export type LoginFigures = Omit<LoadResult, 'requests'>;

export interface LoginBenchmark {
  database: 'sqlite' | 'mysql';
  runs: number;
  logins: Record<number, number>;
  product: Record<number, LoginFigures>;
  floor: Record<number, LoginFigures>;
  /** Median over runs of product ÷ floor logins/s, each pair measured back to back. */
  ratio: Record<number, number>;
}

/** How many logins one measured run sends: enough for a stable p99, small enough for 10 minutes. */
export function loginsPerRun(concurrency: number, scale: number): number {
  return Math.round((concurrency === 1 ? 400 : 1500) * scale);
}

export async function benchmarkLogins(
  database: 'sqlite' | 'mysql',
  runs: number,
  scale: number,
  log: (line: string) => void,
): Promise<LoginBenchmark> {
  if (PROFILE_DIR) fs.mkdirSync(PROFILE_DIR, { recursive: true });
  const db = await createDatabase(database);
  const sim = await startSimulator();
  const api = await startApi({ databaseUrl: db.url, simUrl: sim.url });
  const floor = await startFloor({ databaseUrl: db.url, simUrl: sim.url });
  const maxConcurrency = Math.max(...CONCURRENCIES);
  const targets = [
    { name: 'product' as const, target: productTarget(api.url), pool: await openPool(api.url, maxConcurrency) },
    { name: 'floor' as const, target: floorTarget(floor.url), pool: await openPool(floor.url, maxConcurrency) },
  ];
  try {
    const users = await createBoundUsers(targets[0]!.pool, sim.url, BOUND_USERS);
    for (const { target, pool } of targets) {
      const warmUp = await prepareLogins(pool, target, sim.url, users, WARM_UP_LOGINS);
      await runLoad(pool, warmUp, 8, 'signed_in');
    }
    const results = { product: new Map<number, LoginFigures[]>(), floor: new Map<number, LoginFigures[]>() };
    for (let run = 1; run <= runs; run++) {
      for (const concurrency of CONCURRENCIES) {
        for (const { name, target, pool } of targets) {
          const service = name === 'product' ? api : floor;
          const profile = PROFILE_DIR ? path.join(PROFILE_DIR, `${name}-${database}-c${concurrency}-run${run}.cpuprofile`) : undefined;
          const figures = await measure(pool, target, sim.url, users, concurrency, loginsPerRun(concurrency, scale), service, profile);
          if (!results[name].has(concurrency)) results[name].set(concurrency, []);
          results[name].get(concurrency)!.push(figures);
          log(
            `  ${database} ${name.padEnd(7)} c=${String(concurrency).padEnd(2)} run ${run}: ${figures.perSecond.toFixed(0)}/s p50 ${figures.p50.toFixed(1)} p99 ${figures.p99.toFixed(1)} ms`,
          );
        }
      }
    }
    const summarise = (byConcurrency: Map<number, LoginFigures[]>) =>
      Object.fromEntries([...byConcurrency].map(([concurrency, list]) => [concurrency, medianOf(list)]));
    const pairRatios = (concurrency: number) => {
      const floorRuns = results.floor.get(concurrency)!;
      return median(results.product.get(concurrency)!.map((product, run) => product.perSecond / floorRuns[run]!.perSecond));
    };
    return {
      database,
      runs,
      logins: Object.fromEntries(CONCURRENCIES.map((c) => [c, loginsPerRun(c, scale)])),
      product: summarise(results.product),
      floor: summarise(results.floor),
      ratio: Object.fromEntries(CONCURRENCIES.map((c) => [c, pairRatios(c)])),
    };
  } finally {
    for (const { pool } of targets) await pool.close();
    await Promise.all([api.stop(), floor.stop()]);
    await sim.stop();
    await db.drop();
  }
}

async function measure(
  pool: Awaited<ReturnType<typeof openPool>>,
  target: LoginTarget,
  simUrl: string,
  users: Parameters<typeof prepareLogins>[3],
  concurrency: number,
  count: number,
  service: Service,
  profile: string | undefined,
): Promise<LoginFigures> {
  const prepared = await prepareLogins(pool, target, simUrl, users, count);
  if (profile) await service.startProfile();
  const { requests: _requests, firstFailure, ...figures } = await runLoad(pool, prepared, concurrency, 'signed_in');
  if (profile) await service.stopProfile(profile);
  if (figures.failures > 0) throw new Error(`${target.loginPath}: ${figures.failures} of ${count} logins failed; first: ${firstFailure}`);
  return figures;
}
