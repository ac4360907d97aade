/**
 * The processes a benchmark talks to: the Weibo simulator, the API, the floor server, and a
 * throw-away MySQL database. Each is a real child process on 127.0.0.1, as in production, so
 * the load generator (this process) never shares an event loop with what it measures.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_PROGRAM } from '@weibo-login/api/program';
import { createScratchMysqlDatabase, launch, type NodeProgram } from '@weibo-login/test-support';
import { createSimulatorControl } from '@weibo-login/weibo-sim/control';
import { SIMULATOR_PROGRAM } from '@weibo-login/weibo-sim/program';
import type { ProfileKind } from './process-probe.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The programs the bench starts: the packages' own (their `./program` exports), and its servers. */
const FLOOR_PROGRAM: NodeProgram = {
  name: 'bench/floor',
  main: fileURLToPath(new URL('../floor/server.ts', import.meta.url)),
  portVariable: 'PORT',
  healthPath: '/healthz',
};
/** The product's own service, with the product's heap bounds: the layer rows differ only in the front end. */
const LAYERS_PROGRAM: NodeProgram = {
  ...API_PROGRAM,
  name: 'bench/layers',
  main: fileURLToPath(new URL('../layers/server.ts', import.meta.url)),
  healthPath: '/healthz',
};
export const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const BENCH_SECRET = 'bench-secret-that-is-long-enough-0123456789';
export const BENCH_DATA_KEY = 'be'.repeat(32);
/** The bench's own Weibo app, registered in the simulator each run (startSimulator): the API and the
 * floor run with NODE_ENV=production, which refuses the simulator's public demo app. The redirect
 * URI stays on 127.0.0.1, where production still allows http:. */
export const WEIBO_CLIENT_ID = '4915728306';
export const WEIBO_CLIENT_SECRET = 'bench-app-secret-5c8e1f4a9d2b7e60-3a1f8c5d';
export const REDIRECT_URI = 'http://127.0.0.1:5173/weibo';
/** The proxy every API process of the bench trusts (TRUST_PROXY): the load generator itself. */
export const BENCH_PROXY = '127.0.0.1';
/** WEIBO_CALL_BUDGET_PER_MINUTE of every API process: far above what the fastest login window
 * asks (two calls per login; even 5,000 logins a second are 600,000 calls a minute), so that it
 * is never what stops a login. */
export const BENCH_WEIBO_CALL_BUDGET_PER_MINUTE = 10_000_000;

const PROBE = fileURLToPath(new URL('./process-probe.ts', import.meta.url));
const running = new Set<ChildProcess>();

// Whatever happens to the suite (an exception, Ctrl-C), no server is left behind.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

export interface Metrics {
  /** CPU time the process has used since it started (all its threads), in ms. */
  cpuMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  /** Memory outside the V8 heap held by JS objects (buffers). */
  externalBytes: number;
  /** Garbage collections since the process started (scavenges, full mark-compacts) and the main
   * thread's time in all of them, ms. */
  gc: { scavenges: number; markCompacts: number; pauseMs: number };
  /** Event-loop delay since the previous reading, in ms. */
  loopDelay: { p50: number; p99: number; max: number };
}

export interface Service {
  url: string;
  pid: number;
  /** CPU, memory and event-loop delay of the process (only for processes started with the probe). */
  metrics(): Promise<Metrics>;
  /** Forces a full garbage collection and answers the heap still in use (a leak check). */
  retainedHeap(): Promise<number>;
  /** Starts a CPU profile (or an allocation profile); `stopProfile` writes it (a .cpuprofile or
   * .heapprofile for Chrome DevTools) to `file`. */
  startProfile(kind?: ProfileKind): Promise<void>;
  stopProfile(file: string): Promise<void>;
  stop(): Promise<void>;
}

/** MALLOC_ARENA_MAX, when the suite is run with it, reaches every server (glibc reads it at start). */
export const allocatorEnv = (): Record<string, string> =>
  process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {};

/** Starts `program` with the probe (process-probe.ts, which answers metrics requests over the IPC
 * channel) unless `probe` is false; returns its service and how long it took to answer its health route. */
async function startProgram(program: NodeProgram, env: Record<string, string>, probe = true): Promise<Service & { startupMs: number }> {
  const since = performance.now();
  const started = await launch(program, {
    env: { ...allocatorEnv(), ...env },
    execArgv: probe ? ['--import', PROBE] : [],
    ipc: true,
    stdio: 'stderr',
    startupTimeoutMs: 20_000,
    healthPollMs: 5,
  });
  const startupMs = performance.now() - since;
  running.add(started.child);
  started.child.on('exit', () => running.delete(started.child));
  return { ...asService(started.child, started.url), startupMs };
}

function asService(child: ChildProcess, url: string): Service {
  // One question at a time over the channel, so each answer is matched to its question.
  let pending = Promise.resolve<unknown>(undefined);
  const ask = <T>(command: unknown) => {
    const asked = pending.then(
      () =>
        new Promise<T>((resolve, reject) => {
          // The probe answers a failed command with { error } (process-probe.ts): thrown here, not taken as an answer.
          child.once('message', (message) => {
            const failed = (message as { error?: string } | null)?.error;
            if (failed === undefined) resolve(message as T);
            else reject(new Error(`probe: ${failed}`));
          });
          child.send(command as object, (error) => error && reject(error));
        }),
    );
    pending = asked.catch(() => undefined);
    return asked;
  };
  return {
    url,
    pid: child.pid!,
    metrics: () => ask<Metrics>('metrics'),
    retainedHeap: () => ask<{ retainedHeapBytes: number }>('retained').then((answer) => answer.retainedHeapBytes),
    startProfile: (kind = 'cpu') => ask({ profile: 'start', kind }),
    stopProfile: (file) => ask({ profile: 'stop', file }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function startSimulator(): Promise<Service> {
  // Extra users and 100,000 codes per call are fine; `codeTtlMs` stays at Weibo's 10 minutes.
  const simulator = await startProgram(SIMULATOR_PROGRAM, {});
  await createSimulatorControl(simulator.url).registerApp({
    clientId: WEIBO_CLIENT_ID,
    clientSecret: WEIBO_CLIENT_SECRET,
    name: '压测应用',
    redirectUris: [REDIRECT_URI],
  });
  return simulator;
}

export interface ApiOptions {
  databaseUrl: string;
  simUrl: string;
  bcryptCost?: number;
  /** TRUST_PROXY; by default BENCH_PROXY: every client of the bench comes through the proxy
   * that production has in front of the API, which names each of them (X-Forwarded-For). */
  trustProxy?: string;
  /** A built web app to serve (the bundle benchmark); by default none, as it is not measured. */
  webDist?: string;
  /** More environment, e.g. NODE_COMPILE_CACHE for a cold start. */
  env?: Record<string, string>;
}

export function apiEnvironment(options: ApiOptions): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl,
    JWT_SECRET: BENCH_SECRET,
    DATA_ENCRYPTION_KEY: BENCH_DATA_KEY,
    WEIBO_CLIENT_ID,
    WEIBO_CLIENT_SECRET,
    WEIBO_API_BASE: options.simUrl,
    WEIBO_AUTHORIZE_URL: `${options.simUrl}/oauth2/authorize`,
    WEIBO_REDIRECT_URI: REDIRECT_URI,
    BCRYPT_COST: String(options.bcryptCost ?? 10),
    LOG_LEVEL: 'warn',
    // As in production, the API sits behind a reverse proxy and each person has their own address:
    // the load generator on 127.0.0.1 plays the proxy, and names each simulated person in
    // X-Forwarded-For (fixtures.ts clientAddress), so the per-address bounds count people, not the bench.
    TRUST_PROXY: options.trustProxy ?? BENCH_PROXY,
    // The total budget of calls to Weibo (all addresses together) is Weibo's quota for the site, a
    // fact about Weibo and not a cost of ours: the bench measures what the bounds cost the API (each
    // call is still counted against it and per address), not how soon 600 a minute run out.
    WEIBO_CALL_BUDGET_PER_MINUTE: String(BENCH_WEIBO_CALL_BUDGET_PER_MINUTE),
    WEB_DIST: options.webDist ?? path.join(os.tmpdir(), 'weibo-login-bench-no-web'),
    ...options.env,
  };
}

/** The API as `pnpm start` runs it (API_PROGRAM: `node <API_NODE_FLAGS> apps/api/src/main.ts`, API_PROCESS_ENV), or
 * another checkout's (compare.ts); resolves once /api/healthz answers 200. */
export function startApi(options: ApiOptions, probe = true, program: NodeProgram = API_PROGRAM): Promise<Service & { startupMs: number }> {
  // BENCH_API_NODE_OPTIONS=--cpu-prof (for instance) profiles the API while it is measured.
  const profiling: Record<string, string> = process.env.BENCH_API_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_API_NODE_OPTIONS } : {};
  return startProgram(program, { ...apiEnvironment(options), ...profiling }, probe);
}

/** The minimal node:http handler of bench/floor, on the same database and simulator. */
export function startFloor(options: ApiOptions): Promise<Service> {
  return startProgram(FLOOR_PROGRAM, apiEnvironment(options));
}

/** The product's own login service behind a thinner front end (bench/layers), for layer-costs.ts. */
export function startLayers(options: ApiOptions, front: 'stock' | 'fastify' | 'node'): Promise<Service> {
  return startProgram(LAYERS_PROGRAM, { ...apiEnvironment(options), LAYERS: front });
}

export interface BenchDatabase {
  kind: 'sqlite' | 'mysql';
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database of that kind; `drop` removes it. */
export async function createDatabase(kind: 'sqlite' | 'mysql'): Promise<BenchDatabase> {
  const name = `wl_bench_${randomBytes(5).toString('hex')}`;
  if (kind === 'sqlite') {
    const file = path.join(os.tmpdir(), `${name}.sqlite`);
    const remove = async () => {
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    };
    return { kind, url: `sqlite:${file}`, drop: remove };
  }
  const scratch = await createScratchMysqlDatabase(MYSQL_URL, 'wl_bench');
  return { kind, url: scratch.url, drop: scratch.drop };
}
