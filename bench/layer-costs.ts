/**
 * Diagnostic: where a bound-user login's CPU time goes. The same logins, at concurrency 32 on
 * SQLite, against five servers on one database and simulator: the product (tRPC on Fastify,
 * through trpc/fastify-adapter.ts), the product's server through tRPC's own Fastify plugin, the
 * product's service on a plain Fastify route, the same on bare node:http, and the floor.
 * CPU time per login of each server process (all its threads), so layers can be read by difference.
 */
import { createBoundUsers, floorTarget, prepareLogins, productTarget, stockTrpcTarget } from './lib/fixtures.ts';
import { openPool, runLoad } from './lib/load.ts';
import { createDatabase, type Service, startApi, startFloor, startLayers, startSimulator } from './lib/processes.ts';
import { median } from './lib/stats.ts';

const CONCURRENCY = 32;
export const LAYERS = [
  'product (tRPC on Fastify)',
  "tRPC's own Fastify plugin",
  'service on a Fastify route',
  'service on node:http',
  'floor',
] as const;

export interface LayerCost {
  server: (typeof LAYERS)[number];
  cpuMicrosPerLogin: number;
  perSecond: number;
}

export async function benchmarkLayerCosts(runs: number, logins: number, log: (line: string) => void): Promise<LayerCost[]> {
  const db = await createDatabase('sqlite');
  const sim = await startSimulator();
  const options = { databaseUrl: db.url, simUrl: sim.url };
  const services: Service[] = [];
  try {
    services.push(
      await startApi(options),
      await startLayers(options, 'stock'),
      await startLayers(options, 'fastify'),
      await startLayers(options, 'node'),
      await startFloor(options),
    );
    const targets = services.map((service, index) =>
      index === 0 ? productTarget(service.url) : index === 1 ? stockTrpcTarget(service.url) : floorTarget(service.url),
    );
    const pools = await Promise.all(services.map((service) => openPool(service.url, CONCURRENCY)));
    const users = await createBoundUsers(pools[0]!, sim.url, 32);
    const cpu: number[][] = services.map(() => []);
    const rate: number[][] = services.map(() => []);
    // The first round warms each server up and is not counted.
    for (let round = 0; round <= runs; round++) {
      for (const [index, service] of services.entries()) {
        const prepared = await prepareLogins(pools[index]!, targets[index]!, sim.url, users, logins);
        const before = await service.metrics();
        const result = await runLoad(pools[index]!, prepared, CONCURRENCY, 'signed_in');
        const after = await service.metrics();
        if (result.failures > 0) throw new Error(`${LAYERS[index]}: ${result.failures} logins failed; first: ${result.firstFailure}`);
        if (round === 0) continue;
        cpu[index]!.push(((after.cpuMs - before.cpuMs) * 1000) / logins);
        rate[index]!.push(result.perSecond);
        log(
          `  ${LAYERS[index]!.padEnd(27)} run ${round}: ${cpu[index]!.at(-1)!.toFixed(0)} µs CPU per login, ${result.perSecond.toFixed(0)}/s`,
        );
      }
    }
    await Promise.all(pools.map((pool) => pool.close()));
    return LAYERS.map((server, index) => ({ server, cpuMicrosPerLogin: median(cpu[index]!), perSecond: median(rate[index]!) }));
  } finally {
    await Promise.all(services.map((service) => service.stop()));
    await sim.stop();
    await db.drop();
  }
}
