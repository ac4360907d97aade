/** Renders docs/benchmarks.md from one run's results: every figure on the page comes from the run. */
import type { LayerCost } from './layer-costs.ts';
import type { LoginBenchmark, LoginFigures } from './login-benchmark.ts';
import { CONCURRENCIES } from './login-benchmark.ts';
import type { Machine } from './lib/machine.ts';
import { BENCH_PROXY, BENCH_WEIBO_CALL_BUDGET_PER_MINUTE } from './lib/processes.ts';
import type { StormBenchmark } from './password-storm.ts';
import type { Startup } from './startup.ts';
import { type SteadyState, WARM_UP_BATCHES } from './steady-state.ts';
import type { WebBundle } from './web-bundle.ts';
import type { WorkersBenchmark } from './workers.ts';

export interface Section<T> {
  result: T;
  seconds: number;
  loadBefore: number;
  loadAfter: number;
  /** Fraction of all CPUs busy with other work in the second before the section. */
  otherWork: number;
}

export interface Results {
  startedAt: string;
  command: string;
  machine: Machine;
  runs: number;
  login: Section<LoginBenchmark>[];
  layers?: Section<LayerCost[]>;
  storm: Section<StormBenchmark>[];
  steady?: Section<SteadyState>;
  startup?: Section<Startup>;
  web?: Section<WebBundle | { skipped: string }>;
  workers?: Section<WorkersBenchmark>;
  totalSeconds?: number;
}

const TARGETS = {
  floorRatio: 0.8,
  ofLimit: 0.9,
  meP99Ms: 25,
  rssGrowth: 0.1,
  startupMs: 1000,
  loginJsGzipBytes: 60_000,
  suiteSeconds: 600,
  secondWorkerGain: 1.5,
  singleCpuOfFloor: 1.2,
};

const n0 = (value: number) => value.toFixed(0);
const n1 = (value: number) => value.toFixed(1);
const pct = (value: number) => `${(value * 100).toFixed(0)} %`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const met = (ok: boolean) => (ok ? 'met' : '**not met**');
const load = (section: Section<unknown>) =>
  `Other work on the machine just before: ${pct(section.otherWork)} of its CPUs; load average (1 min) ${section.loadBefore} before, ${section.loadAfter} after; ${n0(section.seconds)} s`;
/** Above this share of the CPUs busy with other work, a run's figures say more about the neighbours. */
const BUSY_MACHINE = 0.15;
const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');

export function renderReport(results: Results): string {
  return [
    header(results),
    targets(results),
    ...results.login.map(loginSection),
    results.layers ? layersSection(results.layers) : '',
    results.storm.length > 0 ? stormSection(results.storm) : '',
    results.steady ? steadySection(results.steady) : '',
    results.startup ? startupSection(results.startup) : '',
    results.web ? webSection(results.web) : '',
    results.workers ? workersSection(results.workers) : '',
    HOT_PATHS,
  ]
    .filter(Boolean)
    .join('\n\n')
    .concat('\n');
}

function header(results: Results): string {
  const m = results.machine;
  return `# Benchmarks

Written by \`${results.command}\` (bench/run.ts) at ${results.startedAt}. Do not edit by hand: the next
run rewrites this page. Every server, the Weibo simulator and every database are started by the
suite on 127.0.0.1, each server in its own process; the load generator is the suite's own
process (undici, one keep-alive connection per concurrent client). As in production, the API runs
behind a proxy (\`TRUST_PROXY=${BENCH_PROXY}\`: the load generator plays it) and each person has an
address of their own: every request names its client in \`X-Forwarded-For\` (198.18.0.0/15, the
benchmarking range), so the per-address bounds count people; the site-wide Weibo call budget is
raised out of the way (\`WEIBO_CALL_BUDGET_PER_MINUTE=${BENCH_WEIBO_CALL_BUDGET_PER_MINUTE}\`), as it is Weibo's quota, not a
cost of ours. Each figure is the median of
${results.runs} measured runs after a warm-up; set-up work (states, codes, accounts) happens
outside every timed window. Benchmarks are not tests: nothing in \`pnpm test\` depends on speed.

${table(
  ['', ''],
  [
    ['CPU', `${m.cpu}, ${m.cores} cores available`],
    ['Memory', `${m.memoryGiB} GiB`],
    ['OS', m.os],
    ['Node', m.node],
    ['SQLite', `${m.sqlite} (better-sqlite3, WAL, synchronous=NORMAL), a fresh file in the temp folder per benchmark`],
    ['MySQL', m.mysql ? `${m.mysql} on 127.0.0.1:3306, a fresh database per benchmark, dropped after` : 'not reachable: skipped'],
    ['Command', `\`${results.command}\``],
    [
      "Servers' malloc",
      m.mallocArenaMax ? `MALLOC_ARENA_MAX=${m.mallocArenaMax}` : 'glibc defaults (one arena per thread, up to 8 per core)',
    ],
    ['Whole suite', results.totalSeconds === undefined ? '' : `${n0(results.totalSeconds)} s`],
  ],
)}

Before each section the suite waits a second and records how much of the CPU other work used,
and the load average: a busy neighbour lowers every figure. Re-run \`pnpm bench\` on a quiet
machine for clean numbers.`;
}

function targets(results: Results): string {
  const rows: string[][] = [];
  for (const { result } of results.login) {
    const ratio = result.ratio[32]!;
    rows.push([
      `Product ÷ floor, logins/s at concurrency 32, ${result.database}`,
      `≥ ${TARGETS.floorRatio}`,
      ratio.toFixed(2),
      met(ratio >= TARGETS.floorRatio),
    ]);
  }
  for (const { result } of results.storm) {
    const f = result.figures;
    const setting = `cost ${result.cost}${result.workers > 1 ? `, API_WORKERS=${result.workers}` : ''}`;
    rows.push([
      `Password checks/s ÷ machine limit, ${setting}`,
      `≥ ${TARGETS.ofLimit}`,
      f.ofLimit.toFixed(2),
      met(f.ofLimit >= TARGETS.ofLimit),
    ]);
    rows.push([
      `auth.me p99 during the storm, ${setting}`,
      `≤ ${TARGETS.meP99Ms} ms`,
      `${n1(f.meP99)} ms`,
      met(f.meP99 <= TARGETS.meP99Ms),
    ]);
  }
  if (results.steady) {
    const s = results.steady.result;
    rows.push([
      `RSS growth after warm-up over ${s.totalLogins.toLocaleString('en')} logins`,
      `≤ ${pct(TARGETS.rssGrowth)}`,
      pct(s.rssGrowth),
      met(s.rssGrowth <= TARGETS.rssGrowth),
    ]);
  }
  if (results.startup) {
    const ms = results.startup.result.medianMs;
    rows.push([
      'Process start to first healthy /api/healthz, SQLite',
      `< ${TARGETS.startupMs} ms`,
      `${n0(ms)} ms`,
      met(ms < TARGETS.startupMs),
    ]);
  }
  if (results.web && 'assets' in results.web.result) {
    const js = results.web.result.jsGzipBytes;
    rows.push(['JavaScript /login loads, gzip', '≤ 60 KB', `${(js / 1000).toFixed(1)} KB`, met(js <= TARGETS.loginJsGzipBytes)]);
  }
  if (results.workers) {
    const w = results.workers.result;
    rows.push([
      'Logins/s at concurrency 32, API_WORKERS=2 ÷ API_WORKERS=1, SQLite',
      `≥ ${TARGETS.secondWorkerGain}`,
      `${w.secondWorkerGain.toFixed(2)} (at most ${w.secondWorkerCeiling.toFixed(2)} on this machine, section 6)`,
      met(w.secondWorkerGain >= TARGETS.secondWorkerGain),
    ]);
    rows.push([
      'CPU per login of one worker ÷ the floor’s',
      `≤ ${TARGETS.singleCpuOfFloor}`,
      w.singleCpuOfFloor.toFixed(2),
      met(w.singleCpuOfFloor <= TARGETS.singleCpuOfFloor),
    ]);
  }
  if (results.totalSeconds !== undefined) {
    rows.push(['Whole `pnpm bench`', '< 10 min', `${n1(results.totalSeconds / 60)} min`, met(results.totalSeconds < TARGETS.suiteSeconds)]);
  }
  const sections = [
    ...results.login,
    ...results.storm,
    results.layers,
    results.steady,
    results.startup,
    results.web,
    results.workers,
  ].filter((s) => s !== undefined);
  const busiest = Math.max(0, ...sections.map((s) => s.otherWork));
  const warning =
    busiest > BUSY_MACHINE
      ? `\n\n**This run shared the machine**: other work took up to ${pct(busiest)} of its CPUs before a section. Throughput
and the storm's share of the limit are lower, and ratios noisier, than a quiet machine gives; re-run
\`pnpm bench\` when the machine is idle before judging a target by them.`
      : '';
  return `## Targets\n\n${table(['What', 'Target', 'This run', ''], rows)}${warning}`;
}

function loginRow(concurrency: number, product: LoginFigures, floor: LoginFigures, ratio: number): string[] {
  return [
    String(concurrency),
    n0(product.perSecond),
    n1(product.p50),
    n1(product.p90),
    n1(product.p99),
    n0(floor.perSecond),
    n1(floor.p50),
    n1(floor.p90),
    n1(floor.p99),
    ratio.toFixed(2),
  ];
}

function loginSection(section: Section<LoginBenchmark>): string {
  const r = section.result;
  const rows = CONCURRENCIES.map((c) => loginRow(c, r.product[c]!, r.floor[c]!, r.ratio[c]!));
  const counts = CONCURRENCIES.map((c) => `${r.logins[c]} at ${c}`).join(', ');
  return `## 1–2. Bound-user Weibo login on ${r.database === 'sqlite' ? 'SQLite' : 'MySQL'}, and the floor

Each login is one \`POST /trpc/weibo.login\` with a fresh code and a fresh state (minted for that
browser by \`weibo.authorizeUrl\` before the clock starts), from a browser and an address of its own
(a browser may hold 10 unspent states, an address cause 120 Weibo calls a minute); 32 bound users. The **floor**
(bench/floor) is a bare \`node:http\` handler doing the same work on the same database and
simulator: check and spend the state, the two Weibo calls over a keep-alive pool, the
identity-with-user read, the audit event and session insert in one transaction, one JWT sign.
Logins per run: ${counts}. Latencies in ms. Product ÷ floor is the median of the runs' ratios, each
product run measured right before its floor run. ${load(section)}.

${table(['Concurrency', 'Product logins/s', 'p50', 'p90', 'p99', 'Floor logins/s', 'p50', 'p90', 'p99', 'Product ÷ floor'], rows)}`;
}

function layersSection(section: Section<LayerCost[]>): string {
  const [product, stock, fastify, node, floor] = section.result.map((layer) => layer.cpuMicrosPerLogin) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const rows = section.result.map((layer) => [layer.server, n0(layer.cpuMicrosPerLogin), n0(layer.perSecond)]);
  return `### Where a login's CPU time goes

The same logins at concurrency 32 on SQLite against five servers (bench/layer-costs.ts): the
product; the product's server with the router on tRPC's own Fastify plugin (\`fastifyTRPCPlugin\`)
instead of our route for single calls (bench/layers, LAYERS=stock); the product's own
\`loginWithWeibo\` (same buildApp, database, provider and sessions) on a plain Fastify route of the
product's server; the same on bare \`node:http\`; and the floor. CPU time of each server process
per login (µs, all threads). ${load(section)}.

${table(['Server', 'CPU µs per login', 'Logins/s'], rows)}

By difference: our route for single calls (trpc/fastify-adapter.ts) saves ${about(stock - product)}
a login over tRPC's own plugin; tRPC (the route, the procedure middlewares, zod input and output
checks) costs ${about(product - fastify)} a login; Fastify with its hooks
${about(fastify - node)}; the services, Kysely and the provider client above the floor's raw
prepared statements ${about(node - floor)}. At concurrency 32 the server's
one thread is saturated, so logins/s is roughly the inverse of this CPU time.`;
}

/** Run-to-run noise of these CPU figures is a few tens of µs: smaller differences are not costs. */
const about = (micros: number) => (micros < 30 ? `too little to tell from the noise (${n0(micros)} µs)` : `about **${n0(micros)} µs**`);

function stormSection(sections: Section<StormBenchmark>[]): string {
  const rows = sections.map(({ result: r }) => {
    const f = r.figures;
    return [
      String(r.cost),
      String(r.workers),
      n1(f.hashMs),
      n1(f.limitPerSecond),
      n1(f.capacityPerSecond),
      n1(f.checksPerSecond),
      f.ofLimit.toFixed(2),
      f.ofCapacity.toFixed(2),
      n1(f.meP50),
      n1(f.meP99),
      n0(f.meSamples),
    ];
  });
  const first = sections[0]!.result;
  return `## 3. Password storm

${first.cores} cores. 32 clients send \`auth.login\` with correct passwords (each its own account,
each through a trusted proxy with its own address) until ${sections.map((s) => `${s.result.logins} (cost ${s.result.cost})`).join(' / ')}
logins are done; meanwhile a second client reads \`auth.me\` every 20 ms. The limit is cores ÷
one bcrypt compare's time, measured with the same bcryptjs in the suite's process just before
each storm; the capacity is what one thread per core of the suite's process actually managed in
1.5 s, right before the storm (below the limit when cores do not scale or a neighbour is busy). Hashing runs in the API's pool of worker threads (one per core, niced so that the
event loop is scheduled first). ${sections.map((s) => `Cost ${s.result.cost}: ${load(s)}`).join('. ')}.

${table(['Cost', 'API_WORKERS', 'One hash, ms', 'Limit/s', 'Capacity/s', 'Checks/s', 'Of limit', 'Of capacity', 'auth.me p50, ms', 'auth.me p99, ms', 'auth.me samples'], rows)}`;
}

function steadySection(section: Section<SteadyState>): string {
  const s = section.result;
  const rows = s.samples.map((sample, index) => [
    sample.logins.toLocaleString('en') + (index < WARM_UP_BATCHES ? ' (warm-up)' : ''),
    n0(sample.perSecond),
    mib(sample.rssBytes),
    mib(sample.heapUsedBytes),
    n1(sample.loopDelayP99),
    n1(sample.loopDelayMax),
  ]);
  return `## 4. Steady state

${s.totalLogins.toLocaleString('en')} bound-user logins on SQLite at concurrency ${s.concurrency}, in ${s.samples.length} batches (states and
codes minted before each). After each batch the API process reports its memory and its event-loop
delay during the batch (monitorEventLoopDelay, in ms beyond its 5 ms resolution). RSS growth after
warm-up: **${pct(s.rssGrowth)}** (heap in use at the readings ${pct(s.heapGrowth)}). Heap still reachable after a full
collection (forced by the suite): ${mib(s.retainedHeapBefore)} before the first login, ${mib(s.retainedHeapAfter)} right after the last (the rate
limits still hold the last minute's addresses), ${mib(s.retainedHeapSettled)} once their windows had ended${leakVerdict(s)}. Event-loop delay p99
${n1(s.loopDelayP99)} ms (median of batches), max ${n1(s.loopDelayMax)} ms; ${n0(s.perSecond)} logins/s. ${load(section)}.
With a flat retained heap, an RSS rise is high-water memory: V8's heap sized for the allocation
rate, and glibc's per-thread malloc arenas (V8's compiler and GC threads allocate in their own);
compare with \`MALLOC_ARENA_MAX=2 pnpm bench --only=steady\`.

${table(['After logins', 'Logins/s', 'RSS', 'Heap used', 'Loop delay p99', 'Loop delay max'], rows)}`;
}

/** Retained heap within 20 % (or 8 MiB) of where it started: no objects kept across logins. */
function leakVerdict(s: SteadyState): string {
  const kept = s.retainedHeapSettled - s.retainedHeapBefore;
  return kept <= Math.max(8 * 2 ** 20, 0.2 * s.retainedHeapBefore)
    ? ": no objects are kept across logins, and what the RSS gains is V8's and malloc's high-water mark"
    : `: **${mib(kept)} more is kept after the run: look for a leak**`;
}

function startupSection(section: Section<Startup>): string {
  const s = section.result;
  return `### Start-up

From spawning \`node apps/api/src/main.ts\` to the first 200 from \`/api/healthz\`, on a fresh SQLite
file (migrations included), ${s.runs} runs: median **${n0(s.medianMs)} ms** (${s.allMs.map(n0).join(', ')} ms). The API keeps
V8's compile cache in the temp folder (main.ts), so these are restarts; the very first start on a
machine, with an empty cache, took ${n0(s.coldMs)} ms. ${load(section)}.`;
}

function webSection(section: Section<WebBundle | { skipped: string }>): string {
  const w = section.result;
  if (!('assets' in w)) return `## 5. The web app\n\nNot measured: ${w.skipped}.`;
  const rows = w.assets.map((asset) => [`\`${asset.file}\``, asset.kind, kib(asset.bytes), kib(asset.gzipBytes)]);
  return `## 5. The web app

The web app built with vite (${n0(w.buildSeconds)} s) into a temporary folder, served by the API as
\`pnpm start\` does, and \`/login\` opened in Chromium: every script and stylesheet it fetched, gzip -9.
**JavaScript ${kib(w.jsGzipBytes)} (${w.jsGzipBytes} bytes), CSS ${kib(w.cssGzipBytes)}.** ${load(section)}.

${table(['File', 'Kind', 'Size', 'Gzip'], rows)}`;
}

function workersSection(section: Section<WorkersBenchmark>): string {
  const w = section.result;
  const rows = w.servers.map((server) => [server.name, n0(server.perSecond), n0(server.cpuMicrosPerLogin)]);
  return `## 6. API_WORKERS: every core

The bound-user Weibo login at concurrency ${32} on SQLite (${w.logins} logins a round, ${w.rounds} rounds after a
warm-up, the servers' order reversed each round; medians) against the API with one worker (one
process), with two (a primary and two workers sharing one port and one SQLite file), and the floor.
The simulator and the load generator share the machine's ${w.cores} cores with the API, so the second worker
cannot have a core to itself. CPU per login counts every process of the API (read from /proc); of the
two-worker API's, its primary's (which keeps the instance's rates for both workers) was ${n0(w.primaryCpuMicrosPerLogin)} µs.
${load(section)}.

${table(['Server', 'Logins/s', 'CPU µs per login'], rows)}

Two workers ÷ one: **${w.secondWorkerGain.toFixed(2)}×** logins/s. What is not the API used CPU too, per
login during the two-worker runs: the simulator ${n0(w.othersCpuMicrosPerLogin.simulator)} µs (Weibo's two calls), the load
generator ${n0(w.othersCpuMicrosPerLogin.loadGenerator)} µs. Even if two workers cost no more CPU per login than one, all ${w.cores} cores ÷
(one worker's CPU per login + theirs) is the most they could reach here: **${w.secondWorkerCeiling.toFixed(2)}×** one worker's
logins/s. A gain of 1.5× needs the simulator and the load generator on cores of their own. One worker's CPU per login ÷ the floor's:
**${w.singleCpuOfFloor.toFixed(2)}**. Resident memory after the load: each worker ${w.workerRssMb.map(n0).join(' and ')} MB, the
primary ${n0(w.primaryRssMb)} MB (the single-process API: ${n0(w.singleRssMb)} MB). The two-worker API answered
\`/api/healthz\` ${n0(w.twoWorkerStartupMs)} ms after it was spawned.`;
}

const HOT_PATHS = `## The hot paths as built

- **Weibo calls** go through one undici keep-alive pool (\`oauth/http.ts\`), with one deadline per call
  (an AbortController cleared when the call ends) and the body read from plain stream events.
- **The bound user** is found with its account in one indexed join (\`findIdentityWithUser\`), and a
  login writes nothing to the identity when the Weibo profile and the stored token are unchanged:
  a login is the state's read and delete, that join, and one transaction with the audit event and
  the session row.
- **tRPC without the fetch round trip** (\`trpc/fastify-adapter.ts\`): tRPC v11's own adapter turns
  every request into a fetch \`Request\` and every answer into a \`Response\` read back into a
  string, about a third of a login's CPU time. Single calls (all a browser sends) are answered
  directly with tRPC's own functions; batches and every unusual request go to tRPC's handler, and
  a test sends 48 requests to both and compares the answers byte for byte.
- **Hot queries built once** (\`db/prepared.ts\`): Kysely builds and compiles a query's SQL on every
  call; the login's and the session check's queries are built once per dialect, typed as usual.
  On SQLite they run on the connection directly, without Kysely's executor, whenever no other
  caller's transaction is open on it: a login allocates ~119 KB instead of ~145 KB.
- **SQLite statements** are prepared once and reused (\`db/client.ts\`): Kysely would prepare each
  query anew, which cost more than running most of them.
- **Random ids** come from 4 KiB batches of the CSPRNG (\`crypto.ts\`), as Node's own
  \`randomUUID\` does: one \`randomBytes\` call per id showed up in the profiles.
- **Weibo's answers** are checked for an \`error_code\` before zod is asked (a failed \`safeParse\`
  builds its issue list, on every good answer), and the Weibo URL is split without a WHATWG \`URL\`.
- **JWT keys** are made once per secret (\`tokens.ts\`): jsonwebtoken otherwise tries every string
  secret as a PEM key first, and throws, on every sign and verify.
- **Security headers** are worked out once at start (\`security-headers.ts\`) instead of Helmet's
  middleware being rebuilt for every request.
- **tRPC's JSON answers** are sent whole with a content-length instead of being streamed in chunks.
- **bcrypt** runs in a pool of worker threads sized to the machine (\`os.availableParallelism()\`),
  never on the event loop, at a lower scheduling priority than the event loop; the pool closes
  with \`app.stop()\`. The dummy hash compared for unknown accounts is a random hash of the same
  cost, so start-up does not wait for a hash.
- **Start-up** loads only what it needs (mysql2 only for MySQL, the static-file plugin only with a
  built web app, undici on the first Weibo call) and keeps V8's compile cache in the temp folder.
- **MySQL** uses a pool of 16 connections; **expired rows** (states, tickets, sessions, attempts)
  are swept every minute off the request path, so the state and session tables stay short.

What is left between the product and the floor is spread thin over the layers the house is
built on (see "Where a login's CPU time goes"). Per login, at concurrency 32 on SQLite, the CPU
profiles of both servers differ by about 180 µs of main-thread time, no item above 50 µs: socket
writes (the product's answer carries a dozen security headers), SQLite through Kysely's executor
and transaction (one connection, a mutex and a promise per statement), tRPC's middleware chain
(each step copies its options object), zod's input, output and Weibo-answer checks, garbage
collection, Fastify's hooks and per-request logger. MySQL hides most of it behind the database's
own round trips. \`BENCH_PROFILE_DIR=/tmp/prof pnpm bench --only=login\` writes a CPU profile of
every timed window (open them in Chrome DevTools).`;
