/** Process entry: read config, open and migrate the database, serve, stop cleanly on SIGTERM. */
import cluster from 'node:cluster';
import { enableCompileCache } from 'node:module';
import { getHeapStatistics } from 'node:v8';

// V8's compile cache on disk (the OS temp folder): a restart does not compile again what it has
// compiled before, which is most of the start-up time. Enabled before the app's modules load.
enableCompileCache();
// The app itself is loaded once the configuration says this process serves (an API_WORKERS
// primary only forks and watches: it stays small).
const [{ loadConfigOrComplain }, { createLogger }, { API_NODE_FLAGS, API_OLD_SPACE_MB }, { SchemaOutOfDate }] = await Promise.all([
  import('./config.ts'),
  import('./logger.ts'),
  import('./limits/bounds.ts'),
  import('./db/migrate.ts'),
]);

const config = loadConfigOrComplain() ?? process.exit(1);

const logger = createLogger(config.logLevel);
// Started by hand without package.json's flags, the heap may grow far past its bound: say so.
if (getHeapStatistics().heap_size_limit > 2 * API_OLD_SPACE_MB * 1024 * 1024) {
  logger.warn(
    { flags: API_NODE_FLAGS },
    'node was started without the heap bounds of limits/bounds.ts: memory under load is not bounded (use pnpm start)',
  );
}
/** A refused start: one line for an old schema, the error for the rest. */
function refuseStart(error: unknown): never {
  if (error instanceof SchemaOutOfDate) {
    console.error(`Cannot start: ${error.message}`);
    process.exit(1);
  }
  logger.fatal({ err: error }, 'could not start: database unreachable or migration failed');
  process.exit(1);
}

// A stop asked for while still starting (a supervisor's SIGTERM as soon as the port answers: with
// API_WORKERS the first worker may answer before the second listens, and the primary had no
// handler yet: it died of the signal, measured by the Galera races suite) waits for the start to
// end, then stops as usual.
let running: { url: string; beginDraining(): void; stop(): Promise<void> } | undefined;
let stopAsked: NodeJS.Signals | undefined;
function stop(signal: NodeJS.Signals): void {
  if (stopAsked && running === undefined) return;
  stopAsked = signal;
  if (running === undefined) return;
  const stopping = running;
  running = undefined;
  // Readiness says 503 from now on, so a load balancer stops sending; then what is in flight
  // finishes (the primary has each worker do this).
  stopping.beginDraining();
  logger.info({ signal }, 'stopping: finishing requests in flight');
  stopping.stop().then(
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      logger.error({ err: error }, 'unclean stop');
      process.exit(1);
    },
  );
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop(signal));

// API_WORKERS > 1: this process is the cluster's primary (workers.ts) and each worker runs this
// file again, as the API that serves; otherwise this process is the API.
const role = config.apiWorkers > 1 ? (cluster.isPrimary ? 'primary' : 'worker') : 'single';
let started: NonNullable<typeof running>;
if (role === 'primary') {
  const { startPrimary } = await import('./workers.ts');
  const primary = await startPrimary(config, logger).catch(refuseStart);
  started = { url: primary.url, beginDraining: () => {}, stop: () => primary.stop() };
} else {
  const { buildApp } = await import('./app.ts');
  const app = await buildApp(config, logger, Date.now, role).catch(refuseStart);
  started = { url: await app.start(), beginDraining: () => app.beginDraining(), stop: () => app.stop() };
}

if (role !== 'worker') {
  logger.info(
    {
      url: started.url,
      workers: config.apiWorkers,
      database: config.database.kind,
      weibo: config.weibo.usingSimulator ? 'simulator' : config.weibo.apiBase,
    },
    'api listening',
  );
  if (!config.production) {
    // Plain line for people running `pnpm dev`: where to click.
    console.log(
      `\n  weibo-login is up: open http://127.0.0.1:5173 (API ${started.url}, Weibo ${config.weibo.usingSimulator ? 'simulator ' + config.weibo.apiBase : config.weibo.apiBase})\n`,
    );
  }
}

running = started;
if (stopAsked) stop(stopAsked);
