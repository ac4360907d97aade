/**
 * The Weibo simulator in a process of its own (`node packages/weibo-sim/src/main.ts`), for the
 * suites where sharing the test's event loop would make Weibo slow whenever the test is busy (a
 * load test's load generator): as api.weibo.com is, it is somewhere else.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createSimulatorControl, type SimulatorControl } from '@weibo-login/weibo-sim/control';
import { freePort } from './free-port.ts';

const READY_TIMEOUT_MS = 20_000;

export interface SimulatorProcess {
  url: string;
  /** A client of its /__sim/ control API. */
  control: SimulatorControl;
  child: ChildProcess;
  /** SIGTERM, then the exit. */
  close(): Promise<void>;
}

/** Starts it on a free port of 127.0.0.1 with `redirectUris` added to the demo app, and resolves
 * once its control routes answer. */
export async function startSimulatorProcess(redirectUris: string[] = []): Promise<SimulatorProcess> {
  const port = await freePort();
  // Resolved here, not at import: Vite's module runner (the web's test setup imports this package)
  // has no import.meta.resolve.
  const main = createRequire(import.meta.url).resolve('@weibo-login/weibo-sim/main');
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? '',
      WEIBO_SIM_HOST: '127.0.0.1',
      WEIBO_SIM_PORT: String(port),
      WEIBO_SIM_REDIRECT_URIS: redirectUris.join(','),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const since = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`weibo-sim exited with ${child.exitCode} before it answered`);
    if (performance.now() - since > READY_TIMEOUT_MS) {
      child.kill('SIGKILL');
      throw new Error(`weibo-sim did not answer on ${url} within ${READY_TIMEOUT_MS} ms`);
    }
    try {
      if ((await fetch(`${url}/__sim/stats`)).ok) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url,
    control: createSimulatorControl(url),
    child,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
