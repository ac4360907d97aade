/**
 * The world of the operator's tool's process tests (admin-cli.test.ts): a database its process
 * can open too (a SQLite FILE, since `:memory:` is one process's own, or a scratch MySQL database),
 * the services built on it as the API and the tool build theirs (loadConfig and openAppDeps from
 * one environment), callers as the harness's, and the tool run as a process with that environment.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchMysqlDatabase } from '@weibo-login/test-support';
import { createSimulatorControl, DEMO_APP, type WeiboSimulator } from '@weibo-login/weibo-sim';
import pino from 'pino';
import { openAppDeps } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { addressKeyOf } from '../../src/limits/address.ts';
import { createContextInner } from '../../src/trpc/context.ts';
import { createCallerFactory } from '../../src/trpc/init.ts';
import { appRouter } from '../../src/trpc/router.ts';
import { apiEnv } from './api-process.ts';
import { type DialectName, MYSQL_URL } from './databases.ts';

export const ADMIN_ENTRY = fileURLToPath(new URL('../../src/cli/admin.ts', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** A run that takes longer has hung (its process did not end after its work). */
const ADMIN_RUN_TIMEOUT_MS = 30_000;

const createCaller = createCallerFactory(appRouter);

export interface AdminRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end with this environment, its output kept; killed (and failing) if it hangs. */
export function runProgram(command: string, args: string[], env: Record<string, string>, cwd = REPO_ROOT): Promise<AdminRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${path.basename(command)} ${args.join(' ')} did not end within ${ADMIN_RUN_TIMEOUT_MS} ms:\n${stderr}`));
    }, ADMIN_RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A database of the test's own that another process can open: its DATABASE_URL and how to drop it. */
export async function createSharedDatabase(dialect: DialectName): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === 'mysql') return createScratchMysqlDatabase(MYSQL_URL, 'wl_admin');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-admin-'));
  return { url: `sqlite:${path.join(dir, 'admin.sqlite')}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export async function createAdminWorld(dialect: DialectName, sim: WeiboSimulator) {
  const database = await createSharedDatabase(dialect);
  const env = apiEnv(sim.url, { DATABASE_URL: database.url, BCRYPT_COST: '10' });
  const log = pino({ level: 'silent' });
  const opened = await openAppDeps(loadConfig(env), log, { migrate: true });
  const { deps } = opened;
  const simControl = createSimulatorControl(sim.url);
  const usualBrowser = randomBytes(32).toString('base64url');

  const world = {
    dialect,
    env,
    deps,
    db: deps.db,
    simControl,
    newBrowser: () => randomBytes(32).toString('base64url'),

    caller(options: { browserId?: string | null; token?: string } = {}) {
      const ip = `100.64.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
      const request = {
        client: { ip, userAgent: 'vitest' },
        addressKey: addressKeyOf(ip),
        browserId: options.browserId === undefined ? usualBrowser : options.browserId,
        signal: undefined,
      };
      return createCaller(createContextInner(deps, { request, authorization: options.token ? `Bearer ${options.token}` : undefined, log }));
    },
    async newWeiboUser(screenName = `测试用户${randomBytes(3).toString('hex')}`): Promise<string> {
      return (await simControl.createUser({ screenName })).uid;
    },
    async weiboLogin(uid: string, browserId: string = usualBrowser) {
      const caller = world.caller({ browserId });
      const { state } = await caller.weibo.authorizeUrl();
      return caller.weibo.login({ code: await simControl.mintCode({ uid, redirectUri: DEMO_APP.redirectUris[0]! }), state });
    },
    async registerAccount(account = `user_${randomBytes(4).toString('hex')}`, password = 'correct horse 1') {
      const result = await world.caller().auth.register({ account, password });
      return { account, password, token: result.session.token, userId: result.user.id };
    },
    async revokeCalls(): Promise<number> {
      return (await simControl.stats()).requests.revokeoauth2 ?? 0;
    },
    /** `node apps/api/src/cli/admin.ts …` with the world's environment (and `extraEnv`). */
    admin(args: string[], extraEnv: Record<string, string> = {}): Promise<AdminRun> {
      return runProgram(process.execPath, [ADMIN_ENTRY, ...args], { ...env, ...extraEnv });
    },
    async close() {
      await opened.close();
      await database.drop();
    },
  };
  return world;
}

export type AdminWorld = Awaited<ReturnType<typeof createAdminWorld>>;
