/**
 * `pnpm bench`: every benchmark of docs/benchmarks.md, each against servers, a simulator and
 * databases it starts itself on 127.0.0.1, then rewrites docs/benchmarks.md with the figures.
 *
 *   pnpm bench                     the whole suite (about 8 minutes on 2 cores); rewrites the page
 *   pnpm bench --only=login,storm  some sections; prints them, leaves the page alone
 *   pnpm bench --quick             smaller counts, for trying the suite out; leaves the page alone
 *
 * Sections: login, layers, storm, steady, startup, web, workers. MySQL is used where MYSQL_URL (default
 * mysql://root@127.0.0.1:3306/test) answers; REQUIRE_MYSQL=1 makes its absence an error.
 * BENCH_PROFILE_DIR=<dir> writes a CPU profile of each timed login window of the product and the
 * floor; BENCH_API_NODE_OPTIONS (e.g. --cpu-prof) is handed to every API process started.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchmarkLayerCosts } from './layer-costs.ts';
import { benchmarkLogins, loginsPerRun } from './login-benchmark.ts';
import { describeMachine, loadAverage, otherWorkBusy } from './lib/machine.ts';
import { mysqlAnswers } from '@weibo-login/test-support';
import { MYSQL_URL, REPO_ROOT } from './lib/processes.ts';
import { benchmarkPasswordStorm } from './password-storm.ts';
import { renderReport, type Results, type Section } from './report.ts';
import { benchmarkStartup } from './startup.ts';
import { benchmarkSteadyState } from './steady-state.ts';
import { benchmarkWebBundle } from './web-bundle.ts';
import { benchmarkWorkers } from './workers.ts';

const SECTIONS = ['login', 'layers', 'storm', 'steady', 'startup', 'web', 'workers'] as const;
type SectionName = (typeof SECTIONS)[number];
/** Every figure is the median of this many measured runs. */
const RUNS = 3;
const STEADY_LOGINS = 100_000;
const STEADY_BATCHES = 10;
/** Logins per server per round in the workers section: ~2 s at concurrency 32. */
const WORKERS_LOGINS = 3000;

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
for (const name of only ?? [])
  if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--only: unknown section "${name}" (${SECTIONS.join(', ')})`);
const wanted = (name: SectionName) => !only || only.includes(name);
const scale = quick ? 0.25 : 1;

const suiteStarted = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - suiteStarted) / 1000).toFixed(0).padStart(3)} s] ${line}`);

async function section<T>(title: string, run: () => Promise<T>): Promise<Section<T>> {
  const otherWork = await otherWorkBusy();
  const loadBefore = loadAverage();
  log(`${title} (load average ${loadBefore}; other work ${Math.round(otherWork * 100)} % of the CPUs)`);
  const started = performance.now();
  const result = await run();
  return { result, seconds: (performance.now() - started) / 1000, loadBefore, loadAfter: loadAverage(), otherWork };
}

const mysqlUp = await mysqlAnswers(MYSQL_URL);
if (!mysqlUp && process.env.REQUIRE_MYSQL === '1') throw new Error('REQUIRE_MYSQL=1 but no MySQL answers (MYSQL_URL)');
if (!mysqlUp) log('MySQL does not answer: its figures are skipped (set MYSQL_URL)');

const results: Results = {
  startedAt: new Date().toISOString(),
  command: ['pnpm bench', ...args].join(' '),
  machine: await describeMachine(mysqlUp),
  runs: RUNS,
  login: [],
  storm: [],
};

if (wanted('login')) {
  for (const database of mysqlUp ? (['sqlite', 'mysql'] as const) : (['sqlite'] as const)) {
    results.login.push(await section(`Bound-user Weibo login on ${database}`, () => benchmarkLogins(database, RUNS, scale, log)));
  }
}
if (wanted('layers')) {
  results.layers = await section('Where a login’s CPU time goes', () => benchmarkLayerCosts(RUNS, loginsPerRun(32, scale), log));
}
if (wanted('storm')) {
  for (const cost of [10, 12])
    results.storm.push(await section(`Password storm at bcrypt cost ${cost}`, () => benchmarkPasswordStorm(cost, RUNS, scale, log)));
  results.storm.push(
    await section('Password storm at bcrypt cost 10 with API_WORKERS=2', () => benchmarkPasswordStorm(10, RUNS, scale, log, 2)),
  );
}
if (wanted('steady')) {
  results.steady = await section(`Steady state over ${STEADY_LOGINS * scale} logins`, () =>
    benchmarkSteadyState(STEADY_LOGINS * scale, STEADY_BATCHES, log),
  );
}
if (wanted('startup')) results.startup = await section('Start-up time', () => benchmarkStartup(Math.max(RUNS, 5), log));
if (wanted('web')) results.web = await section('Web app: what /login loads', () => benchmarkWebBundle(log));
if (wanted('workers')) {
  results.workers = await section('API_WORKERS=1 and 2, and the floor', () => benchmarkWorkers(RUNS, WORKERS_LOGINS * scale, log));
}

results.totalSeconds = (performance.now() - suiteStarted) / 1000;
const json = path.join(os.tmpdir(), `weibo-login-bench-${Date.now()}.json`);
fs.writeFileSync(json, JSON.stringify(results, null, 2));
const report = renderReport(results);
if (only || quick) {
  console.log(`\n${report}\nPartial or quick run: docs/benchmarks.md left as it was. Raw results: ${json}`);
} else {
  fs.writeFileSync(path.join(REPO_ROOT, 'docs/benchmarks.md'), report);
  log(`docs/benchmarks.md rewritten (raw results: ${json}); whole suite ${results.totalSeconds.toFixed(0)} s`);
}
