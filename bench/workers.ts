/**
 * Benchmark 6 (issue 15): API_WORKERS. The bound-user Weibo login at concurrency 32 on SQLite
 * against the API with one worker (a single process), with two (a primary and two workers on
 * one port), and the floor, interleaved round by round; CPU per login counts every process of the
 * API (the primary and its workers) from /proc. Also each worker's memory after the load, and
 * the time from spawning the two-worker API to its first healthy answer.
 */
import os from 'node:os';
import { createBoundUsers, floorTarget, prepareLogins, productTarget } from './lib/fixtures.ts';
import { openPool, runLoad } from './lib/load.ts';
import { childrenOf } from '@weibo-login/test-support';
import { processCpuMs, residentBytes, treeCpuMs } from './lib/process-tree.ts';
import { createDatabase, type Service, startApi, startFloor, startSimulator } from './lib/processes.ts';
import { median } from './lib/stats.ts';

const CONCURRENCY = 32;
const BOUND_USERS = 32;

export interface WorkersServer {
  name: 'API_WORKERS=1' | 'API_WORKERS=2' | 'floor';
  perSecond: number;
  cpuMicrosPerLogin: number;
}

export interface WorkersBenchmark {
  rounds: number;
  logins: number;
  servers: WorkersServer[];
  /** Logins/s of two workers ÷ one (target ≥ 1.5). */
  secondWorkerGain: number;
  /** One worker's CPU per login ÷ the floor's (target ≤ 1.2). */
  singleCpuOfFloor: number;
  /** Resident memory of each worker of the two-worker API after the load, and of its primary, MB. */
  workerRssMb: number[];
  primaryRssMb: number;
  singleRssMb: number;
  /** Spawn to first healthy answer of the two-worker API, ms (warm compile cache). */
  twoWorkerStartupMs: number;
  /** CPU per login of what is not the API, during the two-worker runs: the simulator (two Weibo
   * calls) and the load generator (this process), µs. */
  othersCpuMicrosPerLogin: { simulator: number; loadGenerator: number };
  /** Of the two-worker API's CPU per login, its primary's (the instance's rates: limits/shared-work-limits.ts), µs. */
  primaryCpuMicrosPerLogin: number;
  /** The most two workers could do here even if they cost no more CPU per login than one: all
   * cores ÷ (one worker's CPU per login + the others'), ÷ one worker's logins/s. The second
   * worker's gain cannot pass it on this machine. */
  secondWorkerCeiling: number;
  cores: number;
}

/** CPU time (ms) this process (the load generator) has used so far. */
const ownCpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

export async function benchmarkWorkers(rounds: number, logins: number, log: (line: string) => void): Promise<WorkersBenchmark> {
  const sim = await startSimulator();
  const dbs = await Promise.all([createDatabase('sqlite'), createDatabase('sqlite')]);
  const services: Service[] = [];
  try {
    // No probe: its IPC handler would answer the cluster's own messages in the workers.
    const single = await startApi({ databaseUrl: dbs[0]!.url, simUrl: sim.url }, false);
    const two = await startApi({ databaseUrl: dbs[1]!.url, simUrl: sim.url, env: { API_WORKERS: '2' } }, false);
    const floor = await startFloor({ databaseUrl: dbs[0]!.url, simUrl: sim.url });
    services.push(single, two, floor);
    const servers = [
      {
        name: 'API_WORKERS=1' as const,
        service: single,
        target: productTarget(single.url),
        users: [] as Awaited<ReturnType<typeof createBoundUsers>>,
      },
      {
        name: 'API_WORKERS=2' as const,
        service: two,
        target: productTarget(two.url),
        users: [] as Awaited<ReturnType<typeof createBoundUsers>>,
      },
      { name: 'floor' as const, service: floor, target: floorTarget(floor.url), users: [] as Awaited<ReturnType<typeof createBoundUsers>> },
    ];
    const pools = await Promise.all(servers.map((server) => openPool(server.service.url, CONCURRENCY)));
    servers[0]!.users = await createBoundUsers(pools[0]!, sim.url, BOUND_USERS);
    servers[1]!.users = await createBoundUsers(pools[1]!, sim.url, BOUND_USERS);
    servers[2]!.users = servers[0]!.users; // the floor signs in the single API's users, on its database
    const cpu = servers.map(() => [] as number[]);
    const rate = servers.map(() => [] as number[]);
    const simulatorCpu: number[] = [];
    const loadGeneratorCpu: number[] = [];
    const primaryCpu: number[] = [];
    for (let round = 0; round <= rounds; round++) {
      const order = round % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
      for (const index of order) {
        const server = servers[index]!;
        const prepared = await prepareLogins(pools[index]!, server.target, sim.url, server.users, logins);
        const before = {
          api: treeCpuMs(server.service.pid),
          primary: processCpuMs(server.service.pid),
          simulator: treeCpuMs(sim.pid),
          own: ownCpuMs(),
        };
        const result = await runLoad(pools[index]!, prepared, CONCURRENCY, 'signed_in');
        const after = {
          api: treeCpuMs(server.service.pid),
          primary: processCpuMs(server.service.pid),
          simulator: treeCpuMs(sim.pid),
          own: ownCpuMs(),
        };
        if (result.failures > 0) throw new Error(`${server.name}: ${result.failures} logins failed; first: ${result.firstFailure}`);
        if (round === 0) continue; // warm-up
        cpu[index]!.push(((after.api - before.api) * 1000) / logins);
        if (server.name === 'API_WORKERS=2') {
          simulatorCpu.push(((after.simulator - before.simulator) * 1000) / logins);
          loadGeneratorCpu.push(((after.own - before.own) * 1000) / logins);
          primaryCpu.push(((after.primary - before.primary) * 1000) / logins);
        }
        rate[index]!.push(result.perSecond);
      }
      if (round > 0)
        log(
          `  round ${round}: ${servers.map((s, i) => `${s.name} ${rate[i]!.at(-1)!.toFixed(0)}/s ${cpu[i]!.at(-1)!.toFixed(0)} µs`).join(' · ')}`,
        );
    }
    await Promise.all(pools.map((pool) => pool.close()));
    const mb = (bytes: number) => bytes / 2 ** 20;
    const workerRssMb = childrenOf(two.pid).map((pid) => mb(residentBytes(pid)));
    const primaryRssMb = mb(residentBytes(two.pid));
    const singleRssMb = mb(residentBytes(single.pid));
    const result = servers.map((server, index) => ({
      name: server.name,
      perSecond: median(rate[index]!),
      cpuMicrosPerLogin: median(cpu[index]!),
    }));
    const twoWorkerStartupMs = await startupMs(sim.url);
    log(
      `  two-worker start: healthy after ${twoWorkerStartupMs.toFixed(0)} ms; workers ${workerRssMb.map((m) => m.toFixed(0)).join(', ')} MB`,
    );
    const others = { simulator: median(simulatorCpu), loadGenerator: median(loadGeneratorCpu) };
    const cores = os.availableParallelism();
    const ceilingPerSecond = (cores * 1e6) / (result[0]!.cpuMicrosPerLogin + others.simulator + others.loadGenerator);
    return {
      rounds,
      logins,
      servers: result,
      othersCpuMicrosPerLogin: others,
      primaryCpuMicrosPerLogin: median(primaryCpu),
      secondWorkerCeiling: ceilingPerSecond / result[0]!.perSecond,
      cores,
      secondWorkerGain: median(rate[1]!.map((r, i) => r / rate[0]![i]!)),
      singleCpuOfFloor: median(cpu[0]!.map((c, i) => c / cpu[2]![i]!)),
      workerRssMb,
      primaryRssMb,
      singleRssMb,
      twoWorkerStartupMs,
    };
  } finally {
    await Promise.all(services.map((service) => service.stop()));
    await sim.stop();
    for (const db of dbs) await db.drop();
  }
}

async function startupMs(simUrl: string): Promise<number> {
  const db = await createDatabase('sqlite');
  try {
    const api = await startApi({ databaseUrl: db.url, simUrl, env: { API_WORKERS: '2' } }, false);
    await api.stop();
    return api.startupMs;
  } finally {
    await db.drop();
  }
}
