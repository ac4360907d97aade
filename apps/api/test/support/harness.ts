/**
 * One API world per suite and dialect: a fresh migrated database, the services wired to a real
 * Weibo simulator over HTTP, a movable clock, and callers as a given browser or signed-in user.
 */
import { randomBytes } from 'node:crypto';
import { createSimulatorControl, createWeiboSimulator, DEMO_APP, MOBILE_AUTHORIZE_PATH, type WeiboSimulator } from '@weibo-login/weibo-sim';
import pino from 'pino';
import { openDatabase } from '../../src/db/client.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createDeps } from '../../src/app.ts';
import { addressKeyOf } from '../../src/limits/address.ts';
import { createBcryptHasher } from '../../src/modules/passwords/password-hasher.ts';
import { createWeiboProvider } from '../../src/oauth/weibo.ts';
import { createContextInner } from '../../src/trpc/context.ts';
import { createCallerFactory } from '../../src/trpc/init.ts';
import { AppError } from '../../src/errors.ts';
import { WEIBO_CALL_BUDGET_PER_MINUTE_DEFAULT } from '../../src/limits/bounds.ts';
import { appRouter } from '../../src/trpc/router.ts';
import { DEFAULT_SITE, type SiteConfig, type WeiboConfig } from '../../src/types.ts';
import { afterAll, beforeAll, describe } from 'vitest';
import { createTestDatabase, DIALECTS, type DialectName } from './databases.ts';

export const REDIRECT_URI = DEMO_APP.redirectUris[0]!;
export const TEST_SECRET = 'test-secret-that-is-long-enough-0123456789';
/** The lowest cost bcryptjs takes: the rules are the same, the suite is fast. */
const TEST_BCRYPT_COST = 4;
const createCaller = createCallerFactory(appRouter);

export interface CallerOptions {
  browserId?: string | null;
  token?: string;
  ip?: string;
  /** 'vitest' unless given (a phone's, an in-app browser's…). */
  userAgent?: string;
}

export interface HarnessOptions {
  weiboTimeoutMs?: number;
  /** site.info and WEIBO_SIGNUP; the contract's defaults otherwise. */
  site?: Partial<SiteConfig>;
}

/** An address of the shared address space 100.64.0.0/10 (RFC 6598), picked at random. */
const randomClientAddress = (): string => {
  const [a, b, c] = randomBytes(3);
  return `100.${64 + (a! & 63)}.${b}.${c}`;
};

/** The API's Weibo configuration for an app registered in the simulator at `simUrl`. */
export function simulatorWeiboConfig(
  simUrl: string,
  app: { clientId: string; clientSecret: string; redirectUris: readonly string[] },
  timeoutMs: number,
): WeiboConfig {
  return {
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    redirectUri: app.redirectUris[0]!,
    authorizeUrl: `${simUrl}/oauth2/authorize`,
    mobileAuthorizeUrl: `${simUrl}${MOBILE_AUTHORIZE_PATH}`,
    apiBase: simUrl,
    timeoutMs,
  };
}

export async function startSimulator(): Promise<WeiboSimulator> {
  const sim = createWeiboSimulator();
  await sim.listen(0, '127.0.0.1');
  return sim;
}

export async function createHarness(dialect: DialectName, sim: WeiboSimulator, options: HarnessOptions = {}) {
  const testDb = await createTestDatabase(dialect);
  const database = openDatabase(testDb.config);
  await migrateToLatest(database.db);
  const clock = {
    now: Date.now(),
    advance(ms: number) {
      this.now += ms;
    },
  };
  const log = pino({ level: 'silent' });
  const weiboConfig = simulatorWeiboConfig(sim.url, DEMO_APP, options.weiboTimeoutMs ?? 2000);
  const deps = await createDeps({
    db: database.db,
    jwtSecret: TEST_SECRET,
    weibo: createWeiboProvider(weiboConfig, log, () => clock.now),
    hasher: await createBcryptHasher(TEST_BCRYPT_COST),
    log,
    now: () => clock.now,
    weiboCallBudgetPerMinute: WEIBO_CALL_BUDGET_PER_MINUTE_DEFAULT,
    site: { ...DEFAULT_SITE, ...options.site },
  });

  const simControl = createSimulatorControl(sim.url);

  const usualBrowser = randomBytes(32).toString('base64url');
  const harness = {
    dialect,
    usualBrowser,
    deps,
    db: database.db,
    sim,
    clock,
    weiboConfig,
    newBrowser: () => randomBytes(32).toString('base64url'),

    caller(options: CallerOptions = {}) {
      // One browser unless the test says otherwise (a fresh one, or null for none): a bind ticket
      // only works in the browser its Weibo login came back to.
      const browserId = options.browserId === undefined ? usualBrowser : options.browserId;
      // Each caller is a client of its own unless the test names the address: the per-address
      // limits are tested where they are meant, not tripped by a suite's hundredth registration.
      const ip = options.ip ?? randomClientAddress();
      const request = {
        client: { ip, userAgent: options.userAgent ?? 'vitest' },
        addressKey: addressKeyOf(ip),
        browserId,
        signal: undefined,
      };
      return createCaller(createContextInner(deps, { request, authorization: options.token ? `Bearer ${options.token}` : undefined, log }));
    },

    /** The simulator's control API (users, codes, faults, tokens, stats). */
    simControl,
    async newWeiboUser(screenName = `测试用户${randomBytes(3).toString('hex')}`): Promise<string> {
      return (await simControl.createUser({ screenName })).uid;
    },
    mintCode: (uid: string): Promise<string> => simControl.mintCode({ uid, redirectUri: REDIRECT_URI }),
    /** The whole browser round trip: a state for this browser, a code from Weibo, weibo.login. */
    async weiboLogin(uid: string, browserId: string = usualBrowser, redirectTo?: string) {
      const caller = this.caller({ browserId });
      const { state } = await caller.weibo.authorizeUrl(redirectTo ? { redirectTo } : undefined);
      return caller.weibo.login({ code: await this.mintCode(uid), state });
    },
    async registerAccount(account = `user_${randomBytes(4).toString('hex')}`, password = 'correct horse 1') {
      const result = await this.caller().auth.register({ account, password });
      return { account, password, token: result.session.token, userId: result.user.id };
    },
    async count(table: 'users' | 'identities' | 'sessions' | 'bind_tickets' | 'oauth_states' | 'auth_events'): Promise<number> {
      const row = await database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async close() {
      await deps.weibo.close();
      await database.close();
      await testDb.drop();
    },
  };
  return harness;
}

export type Harness = Awaited<ReturnType<typeof createHarness>>;

/** The AppError a call rejects with; a call that succeeds fails the test. */
export async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** Runs `promise` and returns the reason of the AppError it rejects with. */
export async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const reason = (error as { reason?: string }).reason;
    if (reason) return reason;
    const code = (error as { code?: string }).code;
    if (code === 'BAD_REQUEST' && (error as { cause?: { name?: string } }).cause?.name === 'ZodError') return 'INVALID_INPUT';
    return `not an AppError: ${code ?? String(error)}`;
  }
  return 'resolved';
}

/**
 * Declares a suite that runs once per database (SQLite, and MySQL where it answers) against one
 * simulator. `h` stands for the current database's harness: it is built in beforeAll, so the
 * tests reach it through a forwarding proxy rather than a variable they would have to re-read.
 */
export function describeOnEachDatabase(title: string, body: (h: Harness) => void, options: HarnessOptions = {}): void {
  let sim: WeiboSimulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    await sim.close();
  });
  describe.each(DIALECTS)(`${title} on %s`, (dialect) => {
    let current: Harness | undefined;
    beforeAll(async () => {
      current = await createHarness(dialect, sim, options);
    });
    afterAll(async () => {
      await current?.close();
    });
    body(new Proxy({} as Harness, { get: (_target, key) => Reflect.get(current!, key) }));
  });
}
