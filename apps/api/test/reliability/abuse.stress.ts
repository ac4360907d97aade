/**
 * Abuse under load: one real API process (BCRYPT_COST=10, behind a proxy on loopback), a VICTIM
 * that keeps signing in by password and by Weibo, and an ATTACKER process that runs, phase after
 * phase, each pattern the bounds of limits/bounds.ts are there for (support/abuse-patterns.ts):
 *
 *   multipart   several-MB multipart/form-data bodies to auth.login, many at once (sized and chunked)
 *   register×1  tRPC batches of 10 auth.register, back to back, from one address
 *   register×5  the same from five addresses
 *   junk codes  weibo.authorizeUrl then weibo.login with junk codes, in batches, from one address
 *   revocation  /api/weibo/revoked hints (GET and POST) with the app's source, random and real uids
 *   lock-out    wrong passwords for the victim's account from many addresses
 *
 * First a QUIET phase (the victim alone) sets the victim's p99 latencies. Every phase then does
 * the same victim work, and must keep: ≥ 99 % of the victim's sign-ins succeeding (password and
 * Weibo separately), its p99 (after the attack's first second, ONSET_MS) within
 * max(2 × quiet p99, quiet p99 + 50 ms) (a phase over it is measured once more, P99_MEASUREMENTS), no 5xx anywhere (the attacker's answers included, and
 * the calls inside a batch; the attacker's answers only of the statuses its pattern expects:
 * 413/415, 400/401, 429), the RSS of each API process (with API_WORKERS, each worker) within 200 MB (VmHWM, the peak of VmRSS, in
 * /proc/<pid>/status), and the simulator's count of calls received within what the victim's
 * sign-ins and the attacker's per-address allowance allow, and within
 * WEIBO_CALL_BUDGET_PER_MINUTE over the run. The CPU of each process and of the rest of the
 * machine is reported with each phase: on a shared machine, the last says how far a p99 can be
 * trusted.
 *
 * The victim is people, as on a real site: one account signing in by password from its own
 * browser (its wl_browser cookie kept from a first sign-in, so strangers' failures only slow the
 * account down for other browsers), and WEIBO_PEOPLE Weibo users each from their own address and
 * browser, each bound to an account. The attacker, the simulator (Weibo) and the victim (this
 * process) are three processes, as they are in the field; every attacker loop comes from its own
 * X-Forwarded-For addresses, is bounded in requests and in time, and stops when the victim's
 * phase is done. The figures are printed as a table and written to
 * $TEST_REPORT_DIR/figures/abuse.json (or the OS temp folder's figures/).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childrenOf, createScratchMysqlDatabase, type SimulatorProcess, startSimulatorProcess } from '@weibo-login/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRATIONS_PER_ADDRESS } from '../../src/limits/bounds.ts';
import { DIALECTS, MYSQL_URL } from '../support/databases.ts';
import { REDIRECT_URI } from '../support/harness.ts';
import { type ApiProcess, apiEnv, spawnApi } from '../support/api-process.ts';
import { Browser } from '../support/http.ts';
import type { AttackerCommand, AttackerMessage } from '../support/abuse-attacker.ts';
import { PATTERNS, type Pattern, type TallyReport } from '../support/abuse-patterns.ts';

/** Calls to Weibo per minute for the whole site. Above what the victim alone can need in a minute
 * (2 calls × 120 Weibo sign-ins in a phase of ≥ 7 s: ≤ 2100) plus one attacking address's
 * allowance (WEIBO_CALLS_PER_ADDRESS, 120), so the victim is never refused for the budget; the
 * simulator's count over the run is held to it. */
const WEIBO_BUDGET_PER_MINUTE = 2400;
/**
 * Per phase: ROUNDS × (one password sign-in, one Weibo sign-in), one at a time. Sequential, not
 * two at once: two bcrypt checks back to back keep both cores busy, and a victim that saturates
 * the machine by itself leaves nothing to measure the attacker's effect against.
 */
const ROUNDS = 120;
/** Weibo users of the victim, each with its own address: 120 Weibo sign-ins per phase from one
 * address would meet that address's own Weibo allowance (WEIBO_CALLS_PER_ADDRESS) in one phase. */
const WEIBO_PEOPLE = 20;
const SUCCESS_MIN = 0.99;
/**
 * A phase's p99 may be twice the quiet one, or the quiet one plus 50 ms, whichever is more. The
 * floor is for this machine: 2 cores shared by the API, its 2 bcrypt threads, the database, the
 * simulator and this load generator. A quiet Weibo sign-in's p99 is a few tens of ms, and with
 * 60 samples p99 is the slowest one: one GC pause or one scheduling slice of the attacker's
 * loops doubles it. That is noise, not a degradation a person would notice; a bound that fails
 * (a hasher queue fed by the attacker, an event loop held by a body) costs hundreds of ms.
 */
const P99_FACTOR = 2;
const P99_FLOOR_MS = 50;
/**
 * The p99 is of the victim's sign-ins under the attack as it goes on, not of its first moment:
 * in the first ONSET_MS every attacker loop starts at once (the load generator, in this
 * process, builds its bodies and compiles its code while the API compiles its refusal paths) and
 * one or two of the victim's sign-ins take 2–5× the quiet time (measured: 100–330 ms). Those
 * count for the success rate and the 5xx check, and their slowest is reported as `onsetMs`; with
 * ROUNDS = 120 (some 105 after the onset) the p99 is then the second slowest of the rest, not
 * the one slowest sample.
 */
const ONSET_MS = 1000;
/**
 * A phase whose p99 goes over its bound is measured once more, and held to the bound the second
 * time; every other check holds on both. On these shared cores one slice of MariaDB's or the
 * machine's other work can land in the two slowest of ~105 sign-ins: CI once saw the MySQL
 * register×5 Weibo p99 at 74.3 ms against a bound of 72.8, in a run whose other 13 phases had
 * room to spare. A bound that truly fails (a queue fed by the attacker, an event loop held by a
 * body) fails twice; noise of that size seldom does.
 */
const P99_MEASUREMENTS = 2;
const RSS_LIMIT_MB = 200;

const WEIBO_ENDPOINTS = ['access_token', 'users_show', 'get_token_info', 'get_uid', 'revokeoauth2'] as const;

interface Sample {
  /** When it started, in ms after the phase started. */
  at: number;
  ms: number;
  ok: boolean;
  status: number;
  reason: string;
}

interface VictimFigures {
  n: number;
  successPct: number;
  p50: number;
  p99: number;
  /** The slowest of the sign-ins that started in the attack's first ONSET_MS (not in the p99). */
  onsetMs: number;
  quietP99: number;
  boundP99: number;
  /** The five slowest: how long (ms), and when they started (ms into the phase). */
  slowest: { ms: number; at: number }[];
  failures: string[];
}

interface PhaseFigures {
  database: string;
  phase: string;
  /** 1, or 2 when the first measurement's p99 went over its bound (P99_MEASUREMENTS). */
  measurement: number;
  seconds: number;
  password: VictimFigures;
  weibo: VictimFigures;
  attacker: TallyReport;
  rssMaxMb: number;
  rssPeakMb: number;
  /** Share of one core used during the phase, in %: by the API (all threads), the attacker's
   * process, the simulator's, this process (the victim), and the rest of the machine (MariaDB,
   * and whatever else runs on it). */
  cpuPct: { api: number; attacker: number; weibo: number; victim: number; others: number; cores: number };
  simCalls: { phase: number; allowed: number; byEndpoint: Record<string, number>; run: number; runBudget: number };
}

const figures: PhaseFigures[] = [];

const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};
const round = (ms: number) => Math.round(ms * 10) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tag = () => randomBytes(4).toString('hex');
const ATTACKER_MAIN = fileURLToPath(new URL('../support/abuse-attacker.ts', import.meta.url));
const ATTACKER_NICENESS = 19;

/** The kB figure of a /proc/<pid>/status line (VmRSS: now; VmHWM: the peak since the start). */
function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** The API's processes: the one started, and with API_WORKERS its workers (each is held to the
 * RSS bound: the heap bounds are per process). */
const apiPids = (pid: number): number[] => [pid, ...childrenOf(pid)];

/** The largest resident size and peak among the API's processes. */
function apiMemoryOf(pid: number): { rssMb: number; peakMb: number } {
  const each = apiPids(pid).map(memoryOf);
  return { rssMb: Math.max(...each.map((m) => m.rssMb)), peakMb: Math.max(...each.map((m) => m.peakMb)) };
}

/** CPU time a process has used (all its threads), in seconds, from /proc/<pid>/stat. */
const TICKS_PER_SECOND = 100;
function cpuOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

type CpuReading = Record<'api' | 'attacker' | 'weibo' | 'victim' | 'machine' | 'wall', number>;
/** CPU time so far, in seconds, of each process of the test and of the whole machine (busy). */
function cpuTimes(pids: { api: number; attacker: number; weibo: number }): CpuReading {
  const usage = process.cpuUsage();
  const [, ...cpu] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const idle = cpu[3]! + cpu[4]!;
  const machine = (cpu.slice(0, 8).reduce((a, b) => a + b, 0) - idle) / TICKS_PER_SECOND;
  return {
    api: apiPids(pids.api).reduce((sum, pid) => sum + cpuOf(pid), 0),
    attacker: cpuOf(pids.attacker),
    weibo: cpuOf(pids.weibo),
    victim: (usage.user + usage.system) / 1e6,
    machine,
    wall: performance.now() / 1000,
  };
}

/** The attacker's process, between phases waiting for its next pattern. */
class Attacker {
  private readonly child: ChildProcess;
  private constructor(child: ChildProcess) {
    this.child = child;
  }

  static async start(): Promise<Attacker> {
    // At niceness 19: in the field the attacker's CPU is its own machine's. Here it shares two
    // cores with the API, and at the same priority its bursts (eight 4 MB uploads at once) were
    // measured in the victim's p99 as much as the API's own work was.
    const child = spawn('nice', ['-n', String(ATTACKER_NICENESS), process.execPath, ATTACKER_MAIN], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const attacker = new Attacker(child);
    await attacker.next();
    return attacker;
  }

  get pid(): number {
    return this.child.pid!;
  }

  private next(): Promise<AttackerMessage> {
    return new Promise((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`the attacker's process exited (${code})`));
      this.child.once('exit', exited);
      this.child.once('message', (message: AttackerMessage) => {
        this.child.off('exit', exited);
        resolve(message);
      });
    });
  }

  /** Starts the pattern; the promise is its tally once stop() has been called (or its bounds met). */
  run(command: Extract<AttackerCommand, { start: string }>): Promise<TallyReport> {
    const done = this.next();
    this.child.send(command);
    return done.then((message) => {
      if (!('done' in message)) throw new Error(`the attacker answered ${JSON.stringify(message)}`);
      return message.done;
    });
  }

  stop(): void {
    this.child.send({ stop: true } satisfies AttackerCommand);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await exited;
  }
}

describe.each(DIALECTS)('abuse under load on %s: the victim keeps signing in', (dialect) => {
  let sim: SimulatorProcess;
  let attacker: Attacker;
  let api: ApiProcess;
  let tmp: string | undefined;
  let drop: () => Promise<void> = async () => {};
  let startedAt = 0;
  let rssMax = 0;
  let sampler: NodeJS.Timeout | undefined;
  const quiet = { password: NaN, weibo: NaN };

  const password = 'victim-password-1';
  const victimAccount = `victim_${tag()}`;
  let passwordBrowser: Browser;
  const people: { uid: string; browser: Browser }[] = [];

  const mint = (uid: string) => sim.control.mintCode({ uid, redirectUri: REDIRECT_URI });
  const simCalls = async () => {
    const stats = await sim.control.stats();
    return Object.fromEntries(WEIBO_ENDPOINTS.map((e) => [e, stats.requests[e] ?? 0])) as Record<(typeof WEIBO_ENDPOINTS)[number], number>;
  };
  const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

  beforeAll(async () => {
    [sim, attacker] = await Promise.all([startSimulatorProcess([REDIRECT_URI]), Attacker.start()]);
    let databaseUrl: string;
    if (dialect === 'mysql') {
      const scratch = await createScratchMysqlDatabase(MYSQL_URL, 'wl_abuse');
      databaseUrl = scratch.url;
      drop = scratch.drop;
    } else {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-abuse-'));
      databaseUrl = `sqlite:${path.join(tmp, 'api.sqlite')}`;
    }
    startedAt = performance.now();
    api = await spawnApi(
      apiEnv(sim.url, {
        DATABASE_URL: databaseUrl,
        BCRYPT_COST: '10',
        TRUST_PROXY: '127.0.0.1',
        WEIBO_CALL_BUDGET_PER_MINUTE: String(WEIBO_BUDGET_PER_MINUTE),
        LOG_LEVEL: 'warn',
      }),
    );
    const pid = api.child.pid!;
    sampler = setInterval(() => {
      try {
        rssMax = Math.max(rssMax, apiMemoryOf(pid).rssMb);
      } catch {
        // The process has exited; the exit is checked in afterAll.
      }
    }, 100);

    // The password victim: registers, then signs in once, from its browser (which keeps its cookie).
    passwordBrowser = new Browser(api.url, { 'x-forwarded-for': '203.0.113.10' });
    expect((await passwordBrowser.call('auth.register', { account: victimAccount, password })).reason).toBe('ok');
    expect((await passwordBrowser.call('auth.login', { account: victimAccount, password })).reason).toBe('ok');
    expect(passwordBrowser.cookie).toMatch(/wl_browser=/);
    // The Weibo victims: each a Weibo user bound to an account of its own, from its own address.
    for (let i = 0; i < WEIBO_PEOPLE; i++) {
      const { uid } = await sim.control.createUser({ screenName: `受害者${i}` });
      const browser = new Browser(api.url, { 'x-forwarded-for': `203.0.113.${20 + i}` });
      const { state } = (await browser.call<{ state: string }>('weibo.authorizeUrl')).data;
      const first = await browser.call<{ status: string; ticket: string }>('weibo.login', { code: await mint(uid), state });
      expect(first.data.status).toBe('bind_required');
      expect((await browser.call('weibo.register', { ticket: first.data.ticket, account: `wvictim_${i}_${tag()}`, password })).reason).toBe(
        'ok',
      );
      people.push({ uid, browser });
    }
  });

  afterAll(async () => {
    clearInterval(sampler);
    const exit = await api?.stop();
    await sim?.close();
    await attacker?.close();
    await drop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    expect(exit).toEqual({ code: 0, signal: null });
    // No unexpected error (a 500's log line) in the API's own output either.
    expect(
      api
        .output()
        .split('\n')
        .filter((line) => /"level":(50|60)/.test(line)),
    ).toEqual([]);
  });

  async function passwordSignIn(): Promise<Sample> {
    const started = performance.now();
    try {
      const result = await passwordBrowser.call('auth.login', { account: victimAccount, password });
      return {
        at: started,
        ms: performance.now() - started,
        ok: result.status === 200 && result.reason === 'ok',
        status: result.status,
        reason: result.reason,
      };
    } catch (error) {
      return { at: started, ms: performance.now() - started, ok: false, status: 0, reason: (error as Error).message };
    }
  }

  async function weiboSignIn(person: { uid: string; browser: Browser }): Promise<Sample> {
    // Weibo's consent page is not ours to time: the code is minted first.
    const code = await mint(person.uid);
    const started = performance.now();
    try {
      const authorize = await person.browser.call<{ state: string }>('weibo.authorizeUrl');
      if (authorize.status !== 200)
        return {
          at: started,
          ms: performance.now() - started,
          ok: false,
          status: authorize.status,
          reason: `authorizeUrl ${authorize.reason}`,
        };
      const result = await person.browser.call<{ status: string }>('weibo.login', { code, state: authorize.data.state });
      return {
        at: started,
        ms: performance.now() - started,
        ok: result.status === 200 && result.data?.status === 'signed_in',
        status: result.status,
        reason: result.reason,
      };
    } catch (error) {
      return { at: started, ms: performance.now() - started, ok: false, status: 0, reason: (error as Error).message };
    }
  }

  /** The victim's work of one phase: ROUNDS × (a password sign-in, a Weibo sign-in), one at a time. */
  async function victimWork() {
    const samples = { password: [] as Sample[], weibo: [] as Sample[] };
    const phaseStarted = performance.now();
    const relative = (sample: Sample) => ({ ...sample, at: sample.at - phaseStarted });
    for (let round = 0; round < ROUNDS; round++) {
      samples.password.push(relative(await passwordSignIn()));
      samples.weibo.push(relative(await weiboSignIn(people[round % people.length]!)));
    }
    return samples;
  }

  async function phase(pattern: Pattern | null, measurement = 1): Promise<PhaseFigures> {
    const before = await simCalls();
    rssMax = apiMemoryOf(api.child.pid!).rssMb;
    const victimUids = people.map((p) => p.uid);
    const pids = { api: api.child.pid!, attacker: attacker.pid, weibo: sim.child.pid! };
    const cpuBefore = cpuTimes(pids);
    const attack: Promise<TallyReport> = pattern
      ? attacker.run({ start: pattern.name, apiUrl: api.url, victimUids, victimAccount })
      : Promise.resolve({ requests: 0, statuses: {}, failures: [], unexpected: [] });
    const started = performance.now();
    const samples = await victimWork();
    attacker.stop();
    const tally = await attack;
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = cpuTimes(pids);
    const wall = cpuAfter.wall - cpuBefore.wall;
    const pct = (key: keyof CpuReading) => Math.round((100 * (cpuAfter[key] - cpuBefore[key])) / wall);
    // The last hints' checks are in the background queue: let them reach the simulator.
    if (pattern?.name === 'revocation') await sleep(500);
    const after = await simCalls();
    const memory = apiMemoryOf(api.child.pid!);
    const byEndpoint = Object.fromEntries(WEIBO_ENDPOINTS.map((e) => [e, after[e] - before[e]]));
    const phaseCalls = total(byEndpoint);
    const runSeconds = (performance.now() - startedAt) / 1000;
    const summary = (list: Sample[], quietP99: number) => {
      const steady = list.filter((s) => s.at >= ONSET_MS).map((s) => s.ms);
      const p99 = percentile(steady, 99);
      const bound = Number.isNaN(quietP99) ? p99 : Math.max(P99_FACTOR * quietP99, quietP99 + P99_FLOOR_MS);
      return {
        n: list.length,
        successPct: round((100 * list.filter((s) => s.ok).length) / list.length),
        p50: round(percentile(steady, 50)),
        onsetMs: round(Math.max(0, ...list.filter((s) => s.at < ONSET_MS).map((s) => s.ms))),
        p99: round(p99),
        quietP99: round(Number.isNaN(quietP99) ? p99 : quietP99),
        boundP99: round(bound),
        slowest: [...list]
          .sort((a, b) => b.ms - a.ms)
          .slice(0, 5)
          .map((s) => ({ ms: round(s.ms), at: Math.round(s.at) })),
        failures: [...new Set(list.filter((s) => !s.ok).map((s) => `${s.status} ${s.reason}`))],
      };
    };
    const result: PhaseFigures = {
      database: dialect,
      phase: pattern?.name ?? 'quiet',
      measurement,
      seconds: round(seconds),
      password: summary(samples.password, quiet.password),
      weibo: summary(samples.weibo, quiet.weibo),
      attacker: tally,
      rssMaxMb: round(Math.max(rssMax, memory.rssMb)),
      rssPeakMb: round(memory.peakMb),
      // `others`: the machine less these two: MariaDB, and whatever else runs on the machine.
      cpuPct: {
        api: pct('api'),
        attacker: pct('attacker'),
        weibo: pct('weibo'),
        victim: pct('victim'),
        others: pct('machine') - pct('api') - pct('attacker') - pct('weibo') - pct('victim'),
        cores: os.availableParallelism(),
      },
      simCalls: {
        phase: phaseCalls,
        // Two calls per Weibo sign-in of the victim (the token, the profile), and the attack's allowance.
        allowed: 2 * samples.weibo.length + (pattern ? pattern.weiboAllowance(victimUids) : 0),
        byEndpoint,
        run: total(after),
        // limits/window-counter.ts counts fixed windows of 60 s, each opened by the first call after the
        // last one closed: a run of T seconds spans at most floor(T / 60) + 1 of them.
        runBudget: WEIBO_BUDGET_PER_MINUTE * (Math.floor(runSeconds / 60) + 1),
      },
    };
    figures.push(result);
    return result;
  }

  const p99OverBound = (result: PhaseFigures) => result.password.p99 > result.password.boundP99 || result.weibo.p99 > result.weibo.boundP99;

  /** Every check of the phase; the p99s only if `p99` (the last measurement, P99_MEASUREMENTS). */
  function check(result: PhaseFigures, p99 = true): void {
    for (const kind of ['password', 'weibo'] as const) {
      const figures = result[kind];
      expect
        .soft(figures.successPct, `${result.phase}: ${kind} success % (failures: ${figures.failures.join('; ')})`)
        .toBeGreaterThanOrEqual(SUCCESS_MIN * 100);
      if (p99)
        expect
          .soft(figures.p99, `${result.phase} (measurement ${result.measurement}): ${kind} p99 ms (quiet ${figures.quietP99})`)
          .toBeLessThanOrEqual(figures.boundP99);
      expect
        .soft(
          figures.failures.filter((f) => Number(f.split(' ')[0]) >= 500),
          `${result.phase}: ${kind} 5xx`,
        )
        .toEqual([]);
    }
    expect.soft(result.attacker.failures, `${result.phase}: attacker answers of 500+ or hangs`).toEqual([]);
    expect.soft(result.attacker.unexpected, `${result.phase}: attacker answers of another status than expected`).toEqual([]);
    expect.soft(result.rssPeakMb, `${result.phase}: API peak RSS MB`).toBeLessThanOrEqual(RSS_LIMIT_MB);
    expect.soft(result.simCalls.phase, `${result.phase}: calls to Weibo in the phase`).toBeLessThanOrEqual(result.simCalls.allowed);
    expect.soft(result.simCalls.run, `${result.phase}: calls to Weibo in the run`).toBeLessThanOrEqual(result.simCalls.runBudget);
  }

  it('quiet: the victim alone sets the p99s', async () => {
    const result = await phase(null);
    quiet.password = result.password.p99;
    quiet.weibo = result.weibo.p99;
    check(result);
  });

  it.each(PATTERNS.map((p) => [p.name, p] as const))(
    '%s: the victim keeps ≥ 99 % and its p99, no 5xx, RSS and Weibo calls bounded',
    async (_name, pattern) => {
      expect(Number.isNaN(quiet.password)).toBe(false);
      for (let measurement = 1; measurement <= P99_MEASUREMENTS; measurement++) {
        const result = await phase(pattern, measurement);
        const last = measurement === P99_MEASUREMENTS || !p99OverBound(result);
        check(result, last);
        // Each pattern met its bound, not an open door: something of the attacker's was refused.
        if (pattern.name.startsWith('register')) {
          const created = result.attacker.statuses['call 200'] ?? 0;
          expect
            .soft(created, `${pattern.name}: accounts the attacker created`)
            .toBeLessThanOrEqual(REGISTRATIONS_PER_ADDRESS.points * Number(pattern.name.slice(-1)));
        }
        if (last) break;
      }
    },
  );
});

afterAll(() => {
  const line = (f: PhaseFigures) => {
    const statuses = Object.entries(f.attacker.statuses)
      .map(([key, n]) => `${key}×${n}`)
      .join(' ');
    return [
      f.database.padEnd(6),
      `${f.phase}${f.measurement > 1 ? ` #${f.measurement}` : ''}`.padEnd(11),
      `${f.seconds}s`.padStart(6),
      `${f.password.successPct}%`.padStart(6),
      `${f.password.quietP99}`.padStart(6),
      `${f.password.p99}`.padStart(6),
      `${f.password.onsetMs}`.padStart(6),
      `${f.weibo.successPct}%`.padStart(6),
      `${f.weibo.quietP99}`.padStart(6),
      `${f.weibo.p99}`.padStart(6),
      `${f.weibo.onsetMs}`.padStart(6),
      `${f.rssMaxMb}/${f.rssPeakMb}`.padStart(11),
      `${f.cpuPct.api}/${f.cpuPct.attacker}/${f.cpuPct.weibo}/${f.cpuPct.victim}/${f.cpuPct.others}`.padStart(18),
      `${f.simCalls.phase}/${f.simCalls.allowed}`.padStart(9),
      `${f.simCalls.run}/${f.simCalls.runBudget}`.padStart(10),
      String(f.attacker.requests).padStart(5),
      statuses,
    ].join(' ');
  };
  const header = [
    'db'.padEnd(6),
    'phase'.padEnd(11),
    'time'.padStart(6),
    'pw ok'.padStart(6),
    'pw q99'.padStart(6),
    'pw p99'.padStart(6),
    'pw on'.padStart(6),
    'wb ok'.padStart(6),
    'wb q99'.padStart(6),
    'wb p99'.padStart(6),
    'wb on'.padStart(6),
    'RSS max/pk'.padStart(11),
    'cpu api/atk/wb/vic/oth'.padStart(18),
    'weibo ph'.padStart(9),
    'weibo run'.padStart(10),
    'atk n'.padStart(5),
    'attacker statuses',
  ].join(' ');
  console.log(
    `abuse under load (ms; p99 after the attack's first ${ONSET_MS} ms, 'on' the slowest in them; RSS MB sampled max / VmHWM; cpu % of one core: API, attacker, simulator, victim (this process), everything else on the machine; weibo = simulator calls / allowed, run = calls / budget ${WEIBO_BUDGET_PER_MINUTE}/min)\n${header}\n${figures.map(line).join('\n')}`,
  );
  // A folder of its own: the test reports of TEST_REPORT_DIR are what CI adds up.
  const dir = path.join(process.env.TEST_REPORT_DIR || os.tmpdir(), 'figures');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'abuse.json');
  fs.writeFileSync(
    file,
    `${JSON.stringify({ weiboBudgetPerMinute: WEIBO_BUDGET_PER_MINUTE, p99Factor: P99_FACTOR, p99FloorMs: P99_FLOOR_MS, p99Measurements: P99_MEASUREMENTS, rssLimitMb: RSS_LIMIT_MB, phases: figures }, null, 2)}\n`,
  );
  console.log(`abuse figures written to ${file}`);
});
