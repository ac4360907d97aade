/**
 * Benchmark 3: the password storm. 32 clients send `auth.login` with correct passwords as fast
 * as they are answered, while a second client reads `auth.me` in a loop. Reports password
 * checks per second against the machine's limit (cores ÷ one bcrypt's time, measured just before
 * the storm with the same bcryptjs) and the p99 of `auth.me` during the storm.
 */
import os from 'node:os';
import bcrypt from 'bcryptjs';
import type { Pool } from 'undici';
import { parallelHashRate } from './lib/bcrypt-capacity.ts';
import { clientAddress, fromAddress, inParallel, registerAccount, trpc } from './lib/fixtures.ts';
import { openPool } from './lib/load.ts';
import { createDatabase, startApi, startSimulator } from './lib/processes.ts';
import { median, medianOf, percentile } from './lib/stats.ts';

const STORM_CLIENTS = 32;
/** The second client reads auth.me this often: a busy page polling, not a second load generator
 * (whose CPU would come out of the hashing being measured). */
const ME_INTERVAL_MS = 20;
const CAPACITY_SAMPLE_MS = 1500;
const PASSWORD = 'storm password 0123';

export interface StormFigures {
  /** Median time of one bcrypt compare on one core, ms. */
  hashMs: number;
  /** cores ÷ hashMs, per second. */
  limitPerSecond: number;
  /** Compares per second that one thread per core managed in the suite's own process just before. */
  capacityPerSecond: number;
  checksPerSecond: number;
  ofLimit: number;
  ofCapacity: number;
  meP50: number;
  meP99: number;
  meSamples: number;
}

export interface StormBenchmark {
  cost: number;
  /** API_WORKERS of the API under the storm. */
  workers: number;
  logins: number;
  cores: number;
  figures: StormFigures;
}

/** Logins per storm: about five seconds of work on two cores at either cost. */
export const stormLogins = (cost: number, scale: number) => Math.max(STORM_CLIENTS, Math.round((cost >= 12 ? 64 : 224) * scale));

export async function benchmarkPasswordStorm(
  cost: number,
  runs: number,
  scale: number,
  log: (line: string) => void,
  workers = 1,
): Promise<StormBenchmark> {
  const db = await createDatabase('sqlite');
  const sim = await startSimulator();
  // Behind the proxy (TRUST_PROXY, as every API of the bench) that names each client: 32 people,
  // each registering and then signing in from an address of their own (fixtures.ts clientAddress),
  // not 32 attempts from one address, which the per-address limits would rightly count against
  // each other (10 registrations; sign-ins still being checked count until they settle).
  // With API_WORKERS the probe stays out (its IPC handler would answer the cluster's own messages).
  const api = await startApi(
    { databaseUrl: db.url, simUrl: sim.url, bcryptCost: cost, env: { API_WORKERS: String(workers) } },
    workers === 1,
  );
  const stormPool = await openPool(api.url, STORM_CLIENTS);
  const mePool = await openPool(api.url, 1);
  try {
    const accounts = await inParallel(STORM_CLIENTS, 8, async () => {
      const address = clientAddress();
      return { ...(await registerAccount(stormPool, PASSWORD, address)), address };
    });
    const reader = accounts[0]!;
    const results: StormFigures[] = [];
    for (let run = 1; run <= runs; run++) {
      const figures = await storm(stormPool, mePool, accounts, reader, cost, stormLogins(cost, scale));
      results.push(figures);
      log(
        `  cost ${cost} run ${run}: ${figures.checksPerSecond.toFixed(1)}/s, limit ${figures.limitPerSecond.toFixed(1)}/s, measured capacity ${figures.capacityPerSecond.toFixed(1)}/s; auth.me p99 ${figures.meP99.toFixed(1)} ms over ${figures.meSamples}`,
      );
    }
    return { cost, workers, logins: stormLogins(cost, scale), cores: os.availableParallelism(), figures: medianOf(results) };
  } finally {
    await Promise.all([stormPool.close(), mePool.close()]);
    await api.stop();
    await sim.stop();
    await db.drop();
  }
}

/** One bcrypt compare's time on this machine now, ms (median of five). */
function oneHashMs(cost: number): number {
  const hash = bcrypt.hashSync(PASSWORD, cost);
  const times = Array.from({ length: 5 }, () => {
    const started = performance.now();
    bcrypt.compareSync(PASSWORD, hash);
    return performance.now() - started;
  });
  return median(times);
}

async function storm(
  stormPool: Pool,
  mePool: Pool,
  accounts: { account: string; address: string }[],
  me: { token: string; address: string },
  cost: number,
  logins: number,
): Promise<StormFigures> {
  const hashMs = oneHashMs(cost);
  const limitPerSecond = (os.availableParallelism() * 1000) / hashMs;
  const capacityPerSecond = await parallelHashRate(cost, os.availableParallelism(), CAPACITY_SAMPLE_MS);
  let next = 0;
  let stormOver = false;
  const meLatencies: number[] = [];
  const readMe = async () => {
    while (!stormOver) {
      const started = performance.now();
      await trpc(mePool, 'query', 'auth.me', undefined, { authorization: `Bearer ${me.token}`, ...fromAddress(me.address) });
      const took = performance.now() - started;
      meLatencies.push(took);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, ME_INTERVAL_MS - took)));
    }
  };
  const client = async (index: number) => {
    const { account, address } = accounts[index]!;
    const headers = fromAddress(address);
    while (next < logins) {
      next++;
      await trpc(stormPool, 'mutation', 'auth.login', { account, password: PASSWORD }, headers);
    }
  };
  const reader = readMe();
  const started = performance.now();
  await Promise.all(accounts.map((_, index) => client(index)));
  const elapsedMs = performance.now() - started;
  stormOver = true;
  await reader;
  const sorted = meLatencies.sort((a, b) => a - b);
  const checksPerSecond = (logins / elapsedMs) * 1000;
  return {
    hashMs,
    limitPerSecond,
    capacityPerSecond,
    checksPerSecond,
    ofLimit: checksPerSecond / limitPerSecond,
    ofCapacity: checksPerSecond / capacityPerSecond,
    meP50: percentile(sorted, 50),
    meP99: percentile(sorted, 99),
    meSamples: sorted.length,
  };
}
