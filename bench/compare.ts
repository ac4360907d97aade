/**
 * `pnpm --filter @weibo-login/bench compare <ref> [<ref> …]`: the bound-user Weibo login of the
 * working tree against the product at other commits, with the same load generator, on the same
 * machine, in the same run. Comparing two runs of `pnpm bench` made at different commits compares
 * two load generators too (the bench changes with the product) and two states of a shared machine
 * (its figures move by ±20 % from run to run); here every round measures every server one after
 * the other (the order reversed each round), each against the same floor, and the figure kept is
 * the median over the rounds.
 *
 *   --rounds=N           measured rounds (default 8), after one warm-up round
 *   --logins=N           logins per server per round (default 3000), at concurrency 32, on SQLite
 *   --without-heap-bounds  also the working tree without its heap flags (API_NODE_FLAGS): what they cost
 *   --with-env=NAME=VALUE  also the working tree with that variable set (e.g. METRICS_PORT=0: what
 *                          recording metrics costs); may be given more than once
 *   --with-flags="FLAGS"   also the working tree with these node flags instead of its heap flags
 *                          (e.g. "--max-semi-space-size=8 --max-old-space-size=96"); may be given
 *                          more than once. With --with-env or --with-flags no ref is needed
 *   --profile=cpu|alloc|promoted --profile-dir=DIR  a CPU or allocation profile (promoted: only
 *                        the allocations that outlived the young generation) of each server in one
 *                        more round after the measured ones (not counted)
 *
 * It prints its table; it does not touch docs/benchmarks.md. Each ref is checked out in a git
 * worktree in the temp folder (its dependencies installed from the pnpm store) and removed after.
 */
import fs from 'node:fs';
import path from 'node:path';
import { API_PROGRAM } from '@weibo-login/api/program';
import type { NodeProgram } from '@weibo-login/test-support';
import { type Checkout, checkOut } from './lib/checkout.ts';
import { type BoundUser, createBoundUsers, floorTarget, prepareLogins, productTarget } from './lib/fixtures.ts';
import { openPool, runLoad } from './lib/load.ts';
import type { ProfileKind } from './lib/process-probe.ts';
import { type BenchDatabase, createDatabase, type Service, startApi, startFloor, startSimulator } from './lib/processes.ts';
import { median } from './lib/stats.ts';
import { THREAD_KINDS, type ThreadKind, threadCpuMs } from './lib/threads.ts';

const CONCURRENCY = 32;
const BOUND_USERS = 32;

const args = process.argv.slice(2);
const option = (name: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const refs = args.filter((arg) => !arg.startsWith('--'));
const rounds = Number(option('rounds') ?? 8);
const logins = Number(option('logins') ?? 3000);
const profileKind = option('profile') as ProfileKind | undefined;
const profileDir = option('profile-dir');
const extraEnvs = args.filter((arg) => arg.startsWith('--with-env=')).map((arg) => arg.slice('--with-env='.length));
const extraFlags = args.filter((arg) => arg.startsWith('--with-flags=')).map((arg) => arg.slice('--with-flags='.length).trim());
if (refs.length === 0 && extraEnvs.length === 0 && extraFlags.length === 0 && !args.includes('--without-heap-bounds')) {
  throw new Error(
    'usage: compare [<ref> …] [--rounds=N] [--logins=N] [--without-heap-bounds] [--with-env=NAME=VALUE …] [--with-flags="FLAGS" …] [--profile=cpu|alloc|promoted --profile-dir=DIR]',
  );
}
if (profileKind && !profileDir) throw new Error('--profile needs --profile-dir');

interface Server {
  name: string;
  service: Service;
  database: BenchDatabase;
  users: BoundUser[];
  isFloor: boolean;
  cpuMicros: number[];
  threadMicros: Record<ThreadKind, number[]>;
  perSecond: number[];
  scavengesPer1000: number[];
  markCompactsPer1000: number[];
  gcPauseMicros: number[];
}

const checkouts: Checkout[] = [];
const servers: Server[] = [];
const sim = await startSimulator();
try {
  for (const ref of refs) checkouts.push(await checkOut(ref));
  const programs: { name: string; program: NodeProgram }[] = [
    ...checkouts.map((checkout) => ({
      name: checkout.commit.startsWith(checkout.ref) ? checkout.commit : `${checkout.ref} (${checkout.commit})`,
      program: checkout.api,
    })),
    { name: 'working tree', program: API_PROGRAM },
  ];
  if (args.includes('--without-heap-bounds'))
    programs.push({ name: 'working tree, no heap flags', program: { ...API_PROGRAM, nodeFlags: [] } });
  for (const flags of extraFlags)
    programs.push({ name: `working tree, ${flags}`, program: { ...API_PROGRAM, nodeFlags: flags.split(/\s+/) } });
  for (const assignment of extraEnvs) {
    const [name, ...value] = assignment.split('=');
    programs.push({
      name: `working tree, ${assignment}`,
      program: { ...API_PROGRAM, env: { ...API_PROGRAM.env, [name!]: value.join('=') } },
    });
  }
  // Each product on a database of its own (the schemas of two commits may differ); the floor on the working tree's.
  for (const { name, program } of programs) {
    const database = await createDatabase('sqlite');
    const service = await startApi({ databaseUrl: database.url, simUrl: sim.url }, true, program);
    servers.push(newServer(name, service, database, false));
  }
  const ours = servers.find((server) => server.name === 'working tree')!;
  servers.push(newServer('floor', await startFloor({ databaseUrl: ours.database.url, simUrl: sim.url }), ours.database, true));
  const pools = await Promise.all(servers.map((server) => openPool(server.service.url, CONCURRENCY)));
  for (const [index, server] of servers.entries()) {
    if (!server.isFloor) server.users = await createBoundUsers(pools[index]!, sim.url, BOUND_USERS);
  }
  servers.at(-1)!.users = ours.users; // the floor signs the working tree's users in

  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  // Round 0 warms up; with --profile, one more round after the measured ones is profiled (a
  // profiler's own cost is left out of the figures).
  const lastRound = profileKind ? rounds + 1 : rounds;
  for (let round = 0; round <= lastRound; round++) {
    const order = servers.map((_, index) => index);
    if (round % 2 === 1) order.reverse();
    for (const index of order) {
      const server = servers[index]!;
      const target = server.isFloor ? floorTarget(server.service.url) : productTarget(server.service.url);
      const prepared = await prepareLogins(pools[index]!, target, sim.url, server.users, logins);
      const profiled = round === rounds + 1;
      if (profiled) await server.service.startProfile(profileKind);
      const before = { metrics: await server.service.metrics(), threads: threadCpuMs(server.service.pid) };
      const result = await runLoad(pools[index]!, prepared, CONCURRENCY, 'signed_in');
      const after = { metrics: await server.service.metrics(), threads: threadCpuMs(server.service.pid) };
      if (profiled)
        await server.service.stopProfile(
          path.join(profileDir!, `${fileName(server.name)}.${profileKind === 'cpu' ? 'cpuprofile' : 'heapprofile'}`),
        );
      if (result.failures > 0) throw new Error(`${server.name}: ${result.failures} logins failed; first: ${result.firstFailure}`);
      if (round === 0 || profiled) continue;
      server.cpuMicros.push(((after.metrics.cpuMs - before.metrics.cpuMs) * 1000) / logins);
      for (const kind of THREAD_KINDS) server.threadMicros[kind].push(((after.threads[kind] - before.threads[kind]) * 1000) / logins);
      server.perSecond.push(result.perSecond);
      const [gcBefore, gcAfter] = [before.metrics.gc, after.metrics.gc];
      server.scavengesPer1000.push(((gcAfter.scavenges - gcBefore.scavenges) * 1000) / logins);
      server.markCompactsPer1000.push(((gcAfter.markCompacts - gcBefore.markCompacts) * 1000) / logins);
      server.gcPauseMicros.push(((gcAfter.pauseMs - gcBefore.pauseMs) * 1000) / logins);
    }
    if (round > 0 && round <= rounds)
      console.log(`round ${round}: ${servers.map((s) => `${s.name} ${s.cpuMicros.at(-1)!.toFixed(0)} µs`).join(' · ')}`);
  }
  await Promise.all(pools.map((pool) => pool.close()));
  console.log(`\n${report()}`);
} finally {
  for (const server of servers) await server.service.stop();
  await sim.stop();
  for (const server of servers) if (!server.isFloor) await server.database.drop();
  for (const checkout of checkouts) checkout.remove();
}

function newServer(name: string, service: Service, database: BenchDatabase, isFloor: boolean): Server {
  return {
    name,
    service,
    database,
    users: [],
    isFloor,
    cpuMicros: [],
    threadMicros: { main: [], 'v8 helpers': [], other: [] },
    perSecond: [],
    scavengesPer1000: [],
    markCompactsPer1000: [],
    gcPauseMicros: [],
  };
}

function fileName(serverName: string): string {
  return serverName.replace(/[^\w.-]+/g, '-');
}

/** Per server: medians over the rounds; ÷ floor is the median of each round's own ratio. */
function report(): string {
  const floor = servers.at(-1)!;
  const first = servers[0]!;
  const lines = [
    `Bound-user Weibo login, SQLite, concurrency ${CONCURRENCY}, ${logins} logins per server per round, ${rounds} rounds (medians).`,
    'CPU µs per login of each server process, by thread (main: the event loop; v8 helpers: GC and compilers);',
    'garbage collections per 1000 logins (scavenges, full mark-compacts) and the main thread’s time in them per login.',
    '',
    `| Server | CPU µs | main | v8 helpers | other | Logins/s | Scavenges | Mark-compacts | GC pause µs | CPU ÷ floor | vs ${first.name} |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const ratioOf = (server: Server) => median(server.cpuMicros.map((cpu, round) => cpu / floor.cpuMicros[round]!));
  for (const server of servers) {
    const change = server === first || server.isFloor ? '' : `${((ratioOf(server) / ratioOf(first) - 1) * 100).toFixed(1)} %`;
    lines.push(
      `| ${server.name} | ${median(server.cpuMicros).toFixed(0)} | ${THREAD_KINDS.map((kind) => median(server.threadMicros[kind]).toFixed(0)).join(' | ')} | ${median(server.perSecond).toFixed(0)} | ${median(server.scavengesPer1000).toFixed(1)} | ${median(server.markCompactsPer1000).toFixed(1)} | ${median(server.gcPauseMicros).toFixed(0)} | ${ratioOf(server).toFixed(2)} | ${change} |`,
    );
  }
  return lines.join('\n');
}
