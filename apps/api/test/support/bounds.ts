/** Helpers of the bounds suites (bounds-*.test.ts): raw sockets, the simulator's control API, callers with an address of their own. */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import { createSimulatorControl } from '@weibo-login/weibo-sim';
import type { AppDeps } from '../../src/deps.ts';
import { addressKeyOf } from '../../src/limits/address.ts';
import type { PasswordHasher } from '../../src/modules/passwords/password-hasher.ts';
import { createContextInner } from '../../src/trpc/context.ts';
import { createCallerFactory } from '../../src/trpc/init.ts';
import { appRouter } from '../../src/trpc/router.ts';
import { REDIRECT_URI } from './harness.ts';
export const DAY_MS = 24 * 60 * 60 * 1000;
export const PASSWORD = 'correct horse 1';
export const hex = (bytes = 4) => randomBytes(bytes).toString('hex');
export const newBrowserId = () => randomBytes(32).toString('base64url');
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Through the simulator's control client (@weibo-login/weibo-sim), at the URL of whichever simulator a suite runs. */
/** Requests the simulator received, by endpoint (0 for one not called yet). */
export const simStats = async (simUrl: string) => {
  const { requests } = await createSimulatorControl(simUrl).stats();
  return {
    requests: {
      access_token: requests.access_token ?? 0,
      get_token_info: requests.get_token_info ?? 0,
      users_show: requests.users_show ?? 0,
    },
  };
};
export const newWeiboUser = async (simUrl: string) =>
  (await createSimulatorControl(simUrl).createUser({ screenName: `界限${hex(2)}` })).uid;
export const mintCode = (simUrl: string, uid: string) => createSimulatorControl(simUrl).mintCode({ uid, redirectUri: REDIRECT_URI });

/** Waits until `check` holds, polling (the simulator has no event to wait on from here). */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// ── Raw sockets ──────────────────────────────────────────────────────────────────────────────

export interface RawClient {
  socket: net.Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves with the ms since the connection opened when the server closes it, or null after `waitMs`. */
  closedWithin(waitMs: number): Promise<number | null>;
  /** Writes one byte per `everyMs` until the socket closes. */
  drip(byte: string, everyMs?: number): void;
}

export async function rawClient(port: number): Promise<RawClient> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  await once(socket, 'connect');
  const opened = performance.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - opened)));
  return {
    socket,
    received: () => received,
    closedWithin: (waitMs) => Promise.race([closed, sleep(waitMs).then(() => null)]),
    drip(byte, everyMs = 1000) {
      const timer = setInterval(() => {
        if (socket.destroyed || !socket.writable) clearInterval(timer);
        else socket.write(byte);
      }, everyMs);
      socket.once('close', () => clearInterval(timer));
    },
  };
}

/** Sends `request` as one write and reads the answer until the server closes the connection. */
export async function rawExchange(port: number, request: Buffer): Promise<{ status: number; head: string; body: string }> {
  const client = await rawClient(port);
  client.socket.write(request);
  if ((await client.closedWithin(5000)) === null) client.socket.destroy();
  const text = client.received();
  const split = text.indexOf('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0), head: text.slice(0, split), body: text.slice(split + 4) };
}

export function rssBytesOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

// ── Callers on deps of the test's own ────────────────────────────────────────────────────────

export const createCaller = createCallerFactory(appRouter);

/** A caller on these deps, from this address and browser (null: none yet, one is made on need). */
export function callerOn(deps: AppDeps, options: { ip: string; browserId?: string | null; token?: string | undefined }) {
  const request = {
    client: { ip: options.ip, userAgent: 'vitest' },
    addressKey: addressKeyOf(options.ip),
    browserId: options.browserId === undefined ? newBrowserId() : options.browserId,
    signal: undefined,
  };
  const authorization = options.token ? `Bearer ${options.token}` : undefined;
  return createCaller(createContextInner(deps, { request, authorization, log: deps.log }));
}

/** The hasher, with its calls counted: a test sees whether a bcrypt job was asked for at all. */
export function countingHasher(real: PasswordHasher): { hasher: PasswordHasher; calls: { hash: number; verify: number } } {
  const calls = { hash: 0, verify: 0 };
  const hasher = new Proxy(real, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (key === 'hash' || key === 'verify') calls[key]++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { hasher, calls };
}

/** The hasher, with each password check held until the test lets it go: a test acts (deletes the
 * account, say) while a sign-in is between its read of the account and its writes. */
export function gatedHasher(real: PasswordHasher): { hasher: PasswordHasher; checking: Promise<void>; release: () => void } {
  let started!: () => void;
  let release!: () => void;
  const checking = new Promise<void>((resolve) => (started = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const hasher = new Proxy(real, {
    get(target, key) {
      if (key !== 'verify') return Reflect.get(target, key, target) as unknown;
      return async (...args: Parameters<PasswordHasher['verify']>) => {
        const answer = await target.verify(...args);
        started();
        await released;
        return answer;
      };
    },
  });
  return { hasher, checking, release };
}

/** An address of 10.0.0.0/8 no other call of this run uses. */
export let nextAddress = 0;
export const freshIp = () => {
  const n = nextAddress++;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};

// ═════════════════════════════════════════════════════════════════════════════════════════════
// Bodies and connections: the real process
// ═════════════════════════════════════════════════════════════════════════════════════════════
