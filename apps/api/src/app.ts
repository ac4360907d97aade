/** Builds the running application from a Config: database, migrations, services, server. */
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { openDatabase } from './db/client.ts';
import type { Db } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import type { AppDeps } from './deps.ts';
import { createWorkLimits } from './limits/rate-limits.ts';
import { startSweeper } from './maintenance.ts';
import { createStoredHashCost } from './modules/passwords/hash-cost.ts';
import { createBcryptHasher, type PasswordHasher } from './modules/passwords/password-hasher.ts';
import { createRevocationQueue } from './modules/weibo-login/revocation-queue.ts';
import { handleRevocationHint } from './modules/weibo-login/weibo-binding.service.ts';
import type { OAuthProvider } from './oauth/provider.ts';
import { createWeiboProvider } from './oauth/weibo.ts';
import { createServer, type Server } from './server.ts';
import { DEFAULT_SITE, type SiteConfig } from './types.ts';

/**
 * MySQL connections, sized for a campaign's burst (bench: 32 logins in flight). A login holds one
 * only for its few short statements, never while Weibo answers; 8, 16 and 32 gave the same
 * throughput there within the noise of a shared 2-core machine.
 */
const DATABASE_POOL_SIZE = 16;

export interface App extends Server {
  deps: AppDeps;
}

export interface DepsParts {
  db: Db;
  jwtSecret: string;
  weibo: OAuthProvider;
  hasher: PasswordHasher;
  log: Logger;
  now: () => number;
  weiboCallBudgetPerMinute: number;
  /** The contract's defaults (DEFAULT_SITE) unless given. */
  site?: SiteConfig;
}

/** The services' dependencies from their parts: the API, the tests and the bench build them here. */
export async function createDeps(parts: DepsParts): Promise<AppDeps> {
  const { weiboCallBudgetPerMinute, site = DEFAULT_SITE, ...rest } = parts;
  const storedHashCost = createStoredHashCost(parts.hasher.cost);
  await storedHashCost.refresh(parts.db);
  const deps: AppDeps = {
    ...rest,
    site,
    storedHashCost,
    limits: createWorkLimits({ weiboCallsPerMinute: weiboCallBudgetPerMinute }),
    revocations: createRevocationQueue((hint) => handleRevocationHint(deps, hint), parts.log, parts.now),
  };
  return deps;
}

export async function buildApp(config: Config, logger: Logger, now: () => number = Date.now): Promise<App> {
  const database = openDatabase(config.database, { poolSize: DATABASE_POOL_SIZE });
  try {
    const applied = await migrateToLatest(database.db);
    if (applied.length > 0) logger.info({ migrations: applied, database: database.dialect }, 'database migrated');
  } catch (error) {
    await database.close();
    throw error;
  }
  // bcrypt runs on worker threads (one per core) so that hashing never stalls the event loop.
  const hasher = await createBcryptHasher(config.bcryptCost);
  const deps = await createDeps({
    db: database.db,
    jwtSecret: config.jwtSecret,
    weibo: createWeiboProvider(config.weibo, logger, now),
    hasher,
    log: logger,
    now,
    weiboCallBudgetPerMinute: config.weiboCallBudgetPerMinute,
    site: config.site,
  });
  // A Weibo login makes two calls in a row (the token, the profile), each up to WEIBO_TIMEOUT_MS.
  const server = await createServer(deps, { ...config, longestRequestMs: 2 * config.weibo.timeoutMs + 1000 }, logger);
  const stopSweeper = startSweeper(deps, { auditRetentionDays: config.auditRetentionDays });
  return {
    ...server,
    deps,
    async stop() {
      stopSweeper();
      await server.stop();
      await deps.revocations.drained();
      await Promise.all([database.close(), hasher.close()]);
    },
  };
}
