/**
 * The front door: `pnpm dev` from the repository root, as a newcomer runs it (turbo → the API under
 * `node --watch`, vite on :5173, the simulator on :4000), then every call through vite's proxy as
 * the browser makes it. It exists for failures that only `pnpm dev` shows, such as the bcrypt pool
 * taking `node --watch`'s `{"watch:import": …}` worker messages for answers: the first registrations
 * answered 500, and concurrent sign-ins hung or got each other's answers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createSimulatorControl } from '@weibo-login/weibo-sim';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../../..');
const WEB = 'http://127.0.0.1:5173';
const SIM = 'http://127.0.0.1:4000';
const PORTS = [3000, 5173, 4000];
const READY_BOUND_MS = 90_000;
/** A call that has not answered by then is hung (each bcrypt is ~85 ms): fail, don't wait it out. */
const CALL_BOUND_MS = 15_000;
const STOP_BOUND_MS = 10_000;
const PASSWORD = 'dev-server-password-1';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const accountName = (tag: string) => `dev_${tag}_${randomBytes(4).toString('hex')}`;

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

interface Answer {
  status: number;
  body: any;
  setCookie: string[];
}

/** One HTTP call, raced against a timer so that a hang fails with a line saying which call hung. */
async function call(url: string, init: RequestInit = {}, what = url): Promise<Answer> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new Error(`${what}: no answer within ${CALL_BOUND_MS / 1000} s (hung)`));
    }, CALL_BOUND_MS);
  });
  const answer = (async () => {
    const response = await fetch(url, { ...init, signal: abort.signal });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: the body stays the text.
    }
    return { status: response.status, body, setCookie: response.headers.getSetCookie() };
  })();
  try {
    return await Promise.race([answer, hung]);
  } finally {
    clearTimeout(timer);
  }
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
/** A tRPC mutation through vite's proxy. */
const mutate = (
  procedure: string,
  input: unknown,
  { headers, what = procedure }: { headers?: Record<string, string>; what?: string } = {},
) => call(`${WEB}/trpc/${procedure}`, json(input, headers), what);
/** The simulator `pnpm dev` started. */
const simControl = createSimulatorControl(SIM);

/** What a tRPC answer says, in one value: HTTP status, `result.data.status`, `error.data.reason`. */
const outcome = (answer: Answer) => ({
  http: answer.status,
  status: answer.body?.result?.data?.status,
  reason: answer.body?.error?.data?.reason,
});
function expectSignedIn(answer: Answer, account: string): string {
  const got = { ...outcome(answer), account: answer.body?.result?.data?.user?.account };
  expect(got, JSON.stringify(answer.body)).toEqual({ http: 200, status: 'signed_in', reason: undefined, account });
  return answer.body.result.data.session.token as string;
}
async function portsTaken(): Promise<number[]> {
  const taken = [];
  for (const port of PORTS) if (await portTaken(port)) taken.push(port);
  return taken;
}

// ---- the process tree of `pnpm dev` ----------------------------------------------------------
// pnpm 12 starts each script (and turbo starts each task's pnpm) in a process group of its own, so
// the group of `pnpm dev` alone does not hold the API, vite and the simulator: pnpm's watchdog
// kills the others when pnpm goes. To leave nothing behind either way, the groups of every
// process below `pnpm dev` are recorded while it runs, and what survives in them is killed by id.

function procStat(pid: number): { ppid: number; pgid: number; state: string } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]) };
  } catch {
    return null;
  }
}
const allPids = () =>
  fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
/** Process groups of `root` and its descendants. */
function groupsBelow(root: number): Set<number> {
  const children = new Map<number, number[]>();
  const groups = new Map<number, number>();
  for (const pid of allPids()) {
    const stat = procStat(pid);
    if (!stat) continue;
    groups.set(pid, stat.pgid);
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  const found = new Set<number>();
  for (const todo = [root]; todo.length;) {
    const pid = todo.pop()!;
    if (groups.has(pid)) found.add(groups.get(pid)!);
    todo.push(...(children.get(pid) ?? []));
  }
  return found;
}
/** Live (not zombie) processes in those groups. */
const livingIn = (groups: Set<number>) =>
  allPids().filter((pid) => {
    const stat = procStat(pid);
    return stat !== null && stat.state !== 'Z' && groups.has(stat.pgid);
  });

describe('pnpm dev, through the web dev server', () => {
  let child: ChildProcess | undefined;
  let tmp: string | undefined;
  const groups = new Set<number>();
  let output = '';
  let exited: string | null = null;
  let failed = false;
  const outputTail = () =>
    output
      .split('\n')
      .filter((line) => !line.includes('"level":30')) // info logs are noise; warnings, errors and plain lines stay
      .slice(-40)
      .join('\n');
  const recordGroups = () => {
    if (child?.pid) for (const group of groupsBelow(child.pid)) groups.add(group);
  };

  beforeAll(async () => {
    const taken = await portsTaken();
    if (taken.length)
      throw new Error(`port ${taken.join(', ')} already in use on 127.0.0.1: stop what listens there (another pnpm dev?) before this test`);

    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-dev-server-'));
    // Only what a newcomer's shell has, plus a database of our own instead of .data/dev.sqlite.
    // DATABASE_URL reaches the API task because turbo.json lists it in globalPassThroughEnv.
    const env = {
      PATH: process.env.PATH!,
      HOME: process.env.HOME!,
      TURBO_TELEMETRY_DISABLED: '1',
      CI: 'true',
      DATABASE_URL: `sqlite:${path.join(tmp, 'dev.sqlite')}`,
    };
    child = spawn('pnpm', ['dev'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-200_000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.on('error', (error) => (exited = `could not start: ${error.message}`));
    child.on('exit', (code, signal) => (exited = `exited early (code ${code}, signal ${signal})`));

    // No event to await from outside: poll until vite answers and its proxy reaches a healthy API.
    const deadline = Date.now() + READY_BOUND_MS;
    for (;;) {
      recordGroups();
      if (exited) throw new Error(`pnpm dev ${exited}:\n${outputTail()}`);
      const health = await call(`${WEB}/api/healthz`).catch(() => null);
      const page = health?.status === 200 ? await call(`${WEB}/`).catch(() => null) : null;
      if (page?.status === 200 && String(page.body).includes('<div id="app">')) break;
      if (Date.now() > deadline)
        throw new Error(`pnpm dev: ${WEB}/api/healthz and ${WEB}/ not both ready within ${READY_BOUND_MS / 1000} s:\n${outputTail()}`);
      await sleep(250);
    }
  });

  afterEach(({ task }) => {
    recordGroups();
    if (task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    if (child?.pid) {
      recordGroups();
      if (failed) console.error(`pnpm dev said (info lines left out):\n${outputTail()}`);
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // The group has already gone.
      }
      const deadline = Date.now() + STOP_BOUND_MS;
      while (livingIn(groups).length && Date.now() < deadline) await sleep(100);
      for (const pid of livingIn(groups)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // It ended between the look and the kill.
        }
      }
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); // dev.sqlite and its -wal, -shm
    if (!child?.pid) return;
    // Show that nothing is left: the next run (or the newcomer's own pnpm dev) gets the ports.
    const deadline = Date.now() + STOP_BOUND_MS;
    let taken = await portsTaken();
    while (taken.length && Date.now() < deadline) {
      await sleep(100);
      taken = await portsTaken();
    }
    if (taken.length) throw new Error(`after stopping pnpm dev, port ${taken.join(', ')} still in use`);
  });

  let account: string | undefined;

  it('signs up the first two accounts after start (the first requests that reach bcrypt)', async () => {
    const first = accountName('first');
    const second = accountName('second');
    const answers = [
      await mutate('auth.register', { account: first, password: PASSWORD }, { what: 'auth.register (first after start)' }),
      await mutate('auth.register', { account: second, password: PASSWORD }, { what: 'auth.register (second)' }),
    ];
    // Both checked before failing, so the report says whether one or both went wrong.
    expect(answers.map(outcome), JSON.stringify(answers.map((answer) => answer.body))).toEqual([
      { http: 200, status: 'signed_in', reason: undefined },
      { http: 200, status: 'signed_in', reason: undefined },
    ]);
    expectSignedIn(answers[0]!, first);
    account = first;
  });

  it('signs in, keeps concurrent right and wrong passwords apart, and knows who the token is', async () => {
    // If the registrations above failed, make an account anyway, so that this test still checks
    // sign-in rather than reporting the same failure twice.
    if (!account) {
      account = accountName('login');
      expectSignedIn(await mutate('auth.register', { account, password: PASSWORD }), account);
    }
    expectSignedIn(await mutate('auth.login', { account, password: PASSWORD }), account);

    // Both settle (or hit their bound) before anything is checked, so a failure shows both answers.
    const [right, wrong] = await Promise.allSettled([
      mutate('auth.login', { account, password: PASSWORD }, { what: 'auth.login (right password, concurrent)' }),
      mutate('auth.login', { account, password: 'not-the-password' }, { what: 'auth.login (wrong password, concurrent)' }),
    ]);
    const shown = (settled: PromiseSettledResult<Answer>) =>
      settled.status === 'fulfilled' ? outcome(settled.value) : (settled.reason as Error).message;
    const bodies = [right, wrong].map((settled) => (settled.status === 'fulfilled' ? settled.value.body : null));
    // Each call gets its own answer: the right password signs in, the wrong one is refused.
    expect({ right: shown(right), wrong: shown(wrong) }, JSON.stringify(bodies)).toEqual({
      right: { http: 200, status: 'signed_in', reason: undefined },
      wrong: { http: 401, status: undefined, reason: 'BAD_CREDENTIALS' },
    });
    const token = expectSignedIn((right as PromiseFulfilledResult<Answer>).value, account);

    const me = await call(`${WEB}/trpc/auth.me`, { headers: { authorization: `Bearer ${token}` } }, 'auth.me');
    expect({ status: me.status, account: me.body?.result?.data?.user?.account }, JSON.stringify(me.body)).toEqual({ status: 200, account });
  });

  it('logs in with Weibo through the dev stack: bind_required, then weibo.register signs in', async () => {
    const authorize = await call(`${WEB}/trpc/weibo.authorizeUrl`, {}, 'weibo.authorizeUrl');
    expect(authorize.status, JSON.stringify(authorize.body)).toBe(200);
    const state = authorize.body.result.data.state as string;
    // The state is bound to this "browser" by the wl_browser cookie: send it back as a browser would.
    const cookie = authorize.setCookie.map((line) => line.split(';')[0]!).find((pair) => pair.startsWith('wl_browser='));
    expect(cookie, `Set-Cookie: ${JSON.stringify(authorize.setCookie)}`).toBeDefined();

    // What the consent page would do: a Weibo user approves, Weibo redirects to /weibo?code=….
    const { uid } = await simControl.createUser({ screenName: '开发者测试' });
    const code = await simControl.mintCode({ uid, redirectUri: `${WEB}/weibo` });

    const login = await mutate('weibo.login', { code, state }, { headers: { cookie: cookie! } });
    expect({ ...outcome(login), uid: login.body?.result?.data?.profile?.uid }, JSON.stringify(login.body)).toEqual({
      http: 200,
      status: 'bind_required',
      reason: undefined,
      uid,
    });

    const weiboAccount = accountName('weibo');
    const register = await mutate(
      'weibo.register',
      { ticket: login.body.result.data.ticket, account: weiboAccount, password: PASSWORD },
      { headers: { cookie: cookie! } },
    );
    expectSignedIn(register, weiboAccount);
  });
});
