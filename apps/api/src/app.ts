/** Builds the running application from a Config: database, migrations, services, server. */
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { type Config, DEV_DATA_KEY_HEX } from './config.ts';
import { createSigningKeys } from './crypto/jwt.ts';
import { createTokenCipher } from './crypto/token-cipher.ts';
import { type DatabaseClient, openDatabase } from './db/client.ts';
import type { Db } from './db/database.ts';
import { migrateToLatest, pendingMigrations, SchemaOutOfDate } from './db/migrate.ts';
import type { AppDeps } from './deps.ts';
import { createWorkLimits, type WorkLimits } from './limits/rate-limits.ts';
import { type Channel, workLimitsThroughPrimary } from './limits/shared-work-limits.ts';
import { startSweeper } from './maintenance.ts';
import { createStoredHashCost } from './modules/passwords/hash-cost.ts';
import { createBcryptHasher, type PasswordHasher } from './modules/passwords/password-hasher.ts';
import { createRevocationQueue } from './modules/weibo-login/revocation-queue.ts';
import { resealStoredTokens } from './modules/weibo-login/stored-tokens.ts';
import { handleRevocationHint } from './modules/weibo-login/weibo-binding.service.ts';
import type { OAuthProvider } from './oauth/provider.ts';
import { createWeiboProvider } from './oauth/weibo.ts';
import { createMetrics, type Metrics, NO_METRICS } from './observability/metrics.ts';
import { startMetricsServer } from './observability/metrics-server.ts';
import { createServer, type Server } from './server.ts';
import { appRouter } from './trpc/router.ts';
import { DEFAULT_SITE, type SiteConfig } from './types.ts';

/**
 * MySQL connections, sized for a campaign's burst (bench: 32 logins in flight). A login holds one
 * only for its few short statements, never while Weibo answers; 8, 16 and 32 gave the same
 * throughput there within the noise of a shared 2-core machine.
 */
const DATABASE_POOL_SIZE = 16;

const DEV_DATA_KEYS = { current: Buffer.from(DEV_DATA_KEY_HEX, 'hex'), previous: [] };

export interface App extends Server {
  deps: AppDeps;
  /** Where Prometheus scrapes, when METRICS_PORT is set. */
  metricsUrl: string | null;
}

export interface DepsParts {
  db: Db;
  jwtSecret: string;
  /** JWT_PREVIOUS_SECRETS: still verify, never sign. */
  jwtPreviousSecrets?: readonly string[];
  /** DATA_ENCRYPTION_KEY and its previous keys; the development key unless given. */
  dataKeys?: { current: Buffer; previous: Buffer[] };
  weibo: OAuthProvider;
  hasher: PasswordHasher;
  log: Logger;
  now: () => number;
  weiboCallBudgetPerMinute: number;
  /** The in-memory rates; this process's own (createWorkLimits) unless given: an API_WORKERS
   * worker's are its primary's (limits/shared-work-limits.ts). */
  limits?: WorkLimits;
  /** The contract's defaults (DEFAULT_SITE) unless given. */
  site?: SiteConfig;
  /** NO_METRICS unless given. */
  metrics?: Metrics;
}

/** The services' dependencies from their parts: the API, the tests and the bench build them here. */
export async function createDeps(parts: DepsParts): Promise<AppDeps> {
  const {
    weiboCallBudgetPerMinute,
    limits = createWorkLimits({ weiboCallsPerMinute: weiboCallBudgetPerMinute, now: parts.now }),
    site = DEFAULT_SITE,
    jwtSecret,
    jwtPreviousSecrets = [],
    dataKeys = DEV_DATA_KEYS,
    metrics = NO_METRICS,
    ...rest
  } = parts;
  const storedHashCost = createStoredHashCost(parts.hasher.cost);
  await storedHashCost.refresh(parts.db);
  const deps: AppDeps = {
    ...rest,
    jwtKeys: createSigningKeys(jwtSecret, jwtPreviousSecrets),
    tokens: createTokenCipher(dataKeys.current, dataKeys.previous),
    metrics,
    site,
    storedHashCost,
    limits,
    revocations: createRevocationQueue(
      (hint) => handleRevocationHint(deps, hint),
      (uid) => limits.admitRevocationCheck(uid),
      parts.log,
    ),
  };
  return deps;
}

/** The services' dependencies built from a Config, without a server: the API's and the operator's
 * tool's (`pnpm admin`) one way to them. `close` releases the database and the bcrypt threads. */
export interface OpenedDeps {
  deps: AppDeps;
  dialect: DatabaseClient['dialect'];
  close(): Promise<void>;
}

export async function openAppDeps(
  config: Config,
  logger: Logger,
  options: {
    now?: () => number;
    migrate: boolean;
    requireCurrentSchema?: boolean;
    poolSize?: number;
    bcryptThreads?: number;
    limits?: WorkLimits;
  },
): Promise<OpenedDeps> {
  const now = options.now ?? Date.now;
  const database = openDatabase(config.database, { poolSize: options.poolSize ?? DATABASE_POOL_SIZE });
  try {
    if (options.migrate) {
      const applied = await migrateToLatest(database.db);
      if (applied.length > 0) logger.info({ migrations: applied, database: database.dialect }, 'database migrated');
    } else if (options.requireCurrentSchema) {
      const pending = await pendingMigrations(database.db);
      if (pending.length > 0) throw new SchemaOutOfDate(pending);
    }
  } catch (error) {
    await database.close();
    throw error;
  }
  // bcrypt runs on worker threads (one per core) so that hashing never stalls the event loop.
  const hasher = await createBcryptHasher(config.bcryptCost, options.bcryptThreads);
  const metrics = config.metrics
    ? createMetrics({
        procedures: Object.keys(appRouter._def.procedures),
        passwordQueue: () => hasher.queued,
        databasePool: () => database.poolStats(),
      })
    : NO_METRICS;
  const deps = await createDeps({
    db: database.db,
    jwtSecret: config.jwtSecret,
    jwtPreviousSecrets: config.jwtPreviousSecrets,
    dataKeys: config.dataKeys,
    weibo: createWeiboProvider(config.weibo, logger, now, metrics),
    hasher,
    log: logger,
    now,
    weiboCallBudgetPerMinute: config.weiboCallBudgetPerMinute,
    limits: options.limits,
    site: config.site,
    metrics,
  });
  return {
    deps,
    dialect: database.dialect,
    async close() {
      await deps.revocations.drained();
      await deps.weibo.close();
      await Promise.all([database.close(), hasher.close()]);
    },
  };
}

/**
 * The API: a whole process (`single`), or one of API_WORKERS' workers (`worker`: the primary,
 * workers.ts, has migrated and serves the metrics of them all).
 */
export async function buildApp(
  config: Config,
  logger: Logger,
  now: () => number = Date.now,
  role: 'single' | 'worker' = 'single',
): Promise<App> {
  // MIGRATE_ON_START=false: `pnpm migrate` is run apart, and a schema older than the code stops the start.
  const opened = await openAppDeps(config, logger, {
    now,
    migrate: role === 'single' && config.migrateOnStart,
    requireCurrentSchema: true,
    // All the workers together use no more bcrypt threads than there are cores.
    bcryptThreads: Math.max(1, Math.floor(availableParallelism() / config.apiWorkers)),
    // The rates of the instance are counted once, by the primary, for all its workers.
    ...(role === 'worker' ? { limits: workLimitsThroughPrimary(process as Channel) } : {}),
  });
  const { deps } = opened;
  // A Weibo login makes two calls in a row (the token, the profile), each up to WEIBO_TIMEOUT_MS.
  // Tokens stored in plaintext (before sealing existed) or under an older key are sealed anew now, in the background.
  resealStoredTokens(deps).catch((error: unknown) =>
    logger.warn({ err: error }, 'sealing the stored Weibo tokens failed; the sweep tries again'),
  );
  const server = await createServer(deps, { ...config, longestRequestMs: 2 * config.weibo.timeoutMs + 1000 }, logger);
  const stopSweeper = startSweeper(deps, { auditRetentionDays: config.auditRetentionDays });
  const registry = config.metrics ? deps.metrics.registry : null;
  // A worker's series are asked for by the primary (prom-client's cluster channel), which serves
  // them: an AggregatorRegistry made in a worker is what starts it answering those requests.
  if (registry && role === 'worker') {
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
  }
  const metricsServer =
    registry && role === 'single' ? await startMetricsServer(registry, config.metrics!.host, config.metrics!.port) : null;
  if (metricsServer) logger.info({ url: metricsServer.url }, 'metrics listening');
  return {
    ...server,
    deps,
    metricsUrl: metricsServer?.url ?? null,
    async stop() {
      await stopSweeper();
      await server.stop();
      await metricsServer?.close();
      await opened.close();
    },
  };
}
