/**
 * The one launcher of the workspace's servers in processes of their own (the API, the Weibo
 * simulator, the bench's servers) for the tests, the browser suite and the bench: spawn node on
 * the program's entry with its flags, on a free port of 127.0.0.1, keep what it says, and resolve
 * once its health route answers 200. Each package describes its own program (the API's
 * `@weibo-login/api/program`, the simulator's `@weibo-login/weibo-sim/program`): this package
 * cannot import the API, whose tests import this package.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './free-port.ts';

/** How a package's server is started, as its `pnpm start` starts it. */
export interface NodeProgram {
  /** For messages: 'the API', 'weibo-sim'. */
  readonly name: string;
  /** The absolute path of its entry. */
  readonly main: string;
  /** node's own flags (the API's heap bounds). */
  readonly nodeFlags?: readonly string[];
  /** Environment it always runs with (the API's MALLOC_ARENA_MAX); the caller's wins. */
  readonly env?: Readonly<Record<string, string>>;
  /** Variables passed on from the launcher's own environment when set there, below the caller's
   * (the API's API_WORKERS: `API_WORKERS=2 pnpm test` runs every API process with two workers). */
  readonly passedOn?: readonly string[];
  /** The variable that names its port, and the one that names its host, if any. */
  readonly portVariable: string;
  readonly hostVariable?: string;
  /** A GET that answers 200 once it serves. */
  readonly healthPath: string;
}

export interface LaunchOptions {
  /** Its environment beyond PATH and HOME (which are passed on); the port is added. */
  env?: Record<string, string>;
  port?: number;
  /** false: resolve at once, without waiting for the health route (a start that must fail). */
  waitForHealth?: boolean;
  /** More node flags after the program's (a module to --import). */
  execArgv?: string[];
  /** An IPC channel to the child (process.send in it). */
  ipc?: boolean;
  /** 'capture' (default): stdout and stderr kept for output(); 'stderr': stdout dropped, stderr shown. */
  stdio?: 'capture' | 'stderr';
  /** How long it may take to answer the health route, and how often it is asked (the bench's
   * start-up figure asks every 5 ms). */
  startupTimeoutMs?: number;
  healthPollMs?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything written to stdout and stderr so far (with stdio 'capture'). */
  output(): string;
  exited: Promise<Exit>;
  /** Sends the signal (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

const STARTUP_TIMEOUT_MS = 30_000;
const HEALTH_POLL_MS = 20;

export async function launch(program: NodeProgram, options: LaunchOptions = {}): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const capture = (options.stdio ?? 'capture') === 'capture';
  const child = spawn(process.execPath, [...(program.nodeFlags ?? []), ...(options.execArgv ?? []), program.main], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...program.env,
      ...Object.fromEntries((program.passedOn ?? []).flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : []))),
      ...options.env,
      ...(program.hostVariable ? { [program.hostVariable]: '127.0.0.1' } : {}),
      [program.portVariable]: String(port),
    },
    stdio: ['ignore', capture ? 'pipe' : 'ignore', capture ? 'pipe' : 'inherit', ...(options.ipc ? (['ipc'] as const) : [])],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  const service: ServiceProcess = {
    url,
    port,
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (options.waitForHealth === false) return service;
  const timeoutMs = options.startupTimeoutMs ?? STARTUP_TIMEOUT_MS;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${program.name} exited with ${child.exitCode} before it answered:\n${output}`);
    const healthy = await fetch(`${url}${program.healthPath}`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return service;
    if (performance.now() > deadline) {
      await service.stop('SIGKILL');
      throw new Error(`${program.name} did not answer ${program.healthPath} within ${timeoutMs} ms:\n${output}`);
    }
    // A process that is starting has no event to wait for from outside: poll.
    await new Promise((resolve) => setTimeout(resolve, options.healthPollMs ?? HEALTH_POLL_MS));
  }
}
