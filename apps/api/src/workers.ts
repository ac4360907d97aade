/**
 * API_WORKERS > 1 (CONTRACT §2, 2e): this process is the primary of a Node cluster. It migrates
 * the database once, forks the workers (each a whole API: its own event loop, database pool and
 * share of the bcrypt threads), which listen on one port together, serves the metrics of them all
 * (prom-client's AggregatorRegistry) on METRICS_PORT, counts the in-memory rates of them all
 * (limits/shared-work-limits.ts), replaces a worker that dies, and on SIGTERM has every worker
 * drain and stop. Background work still runs once (its lease, maintenance.ts).
 */
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from './config.ts';
import { openDatabase } from './db/client.ts';
import { migrateToLatest, pendingMigrations, SchemaOutOfDate } from './db/migrate.ts';
import { WORKER_RESTARTS_MAX, WORKER_RESTARTS_WINDOW_MS } from './limits/bounds.ts';
import { createWorkLimits } from './limits/rate-limits.ts';
import { answerWorkLimits } from './limits/shared-work-limits.ts';
import { startMetricsServer } from './observability/metrics-server.ts';

export interface Primary {
  url: string;
  stop(): Promise<void>;
}

export async function startPrimary(config: Config, logger: Logger): Promise<Primary> {
  await prepareDatabase(config, logger);
  const metrics = config.metrics ? await startClusterMetrics(config.metrics, logger) : null;
  // The instance's in-memory rates, counted here for all the workers (limits/shared-work-limits.ts).
  const limits = createWorkLimits({ weiboCallsPerMinute: config.weiboCallBudgetPerMinute });
  const workers = new Set<Worker>();
  const deaths: number[] = [];
  let stopping = false;
  let stopped: (() => void) | undefined;

  const fork = (): Promise<string> => {
    const worker = cluster.fork();
    workers.add(worker);
    const endWorkInFlight = answerWorkLimits(limits, worker);
    worker.on('exit', (code, signal) => {
      workers.delete(worker);
      endWorkInFlight();
      if (stopping) {
        if (workers.size === 0) stopped?.();
        return;
      }
      // A worker that dies is replaced, unless they keep dying: then the whole API stops, as a
      // single process would, and whatever supervises it restarts it.
      const now = Date.now();
      deaths.push(now);
      while (deaths[0]! < now - WORKER_RESTARTS_WINDOW_MS) deaths.shift();
      logger.error({ code, signal, workers: workers.size }, 'an API worker died');
      if (deaths.length > WORKER_RESTARTS_MAX) {
        logger.fatal({ deaths: deaths.length }, 'API workers keep dying: stopping');
        process.exitCode = 1;
        void primary.stop();
        return;
      }
      fork().catch((error: unknown) => logger.error({ err: error }, 'an API worker could not be started'));
    });
    return new Promise((resolve, reject) => {
      worker.once('listening', (address: AddressInfo) =>
        resolve(`http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${address.port}`),
      );
      worker.once('exit', (code) => reject(new Error(`an API worker exited with ${code} before it listened`)));
    });
  };

  const urls = await Promise.all(Array.from({ length: config.apiWorkers }, fork));
  const primary: Primary = {
    url: urls[0]!,
    async stop() {
      if (stopping) return;
      stopping = true;
      const allExited = new Promise<void>((resolve) => {
        stopped = resolve;
        if (workers.size === 0) resolve();
      });
      // Each worker drains as a single process does at SIGTERM: readiness 503, requests in flight finish.
      for (const worker of workers) worker.process.kill('SIGTERM');
      await allExited;
      await metrics?.close();
    },
  };
  return primary;
}

/** The schema, once for all the workers (which then start without migrating). */
async function prepareDatabase(config: Config, logger: Logger): Promise<void> {
  const database = openDatabase(config.database, { poolSize: 2 });
  try {
    if (config.migrateOnStart) {
      const applied = await migrateToLatest(database.db);
      if (applied.length > 0) logger.info({ migrations: applied, database: database.dialect }, 'database migrated');
    } else {
      const pending = await pendingMigrations(database.db);
      if (pending.length > 0) throw new SchemaOutOfDate(pending);
    }
  } finally {
    await database.close();
  }
}

/** One /metrics for all the workers: prom-client asks each over the cluster's channel and adds them up. */
async function startClusterMetrics(where: NonNullable<Config['metrics']>, logger: Logger) {
  const aggregator = new AggregatorRegistry();
  const server = await startMetricsServer(
    { metrics: () => aggregator.clusterMetrics(), contentType: aggregator.contentType },
    where.host,
    where.port,
  );
  logger.info({ url: server.url }, 'metrics listening');
  return server;
}
