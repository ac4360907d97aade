/**
 * Password hashing (bcryptjs) in a pool of worker threads sized to the machine. A bcrypt of
 * cost 10 takes ~85 ms and cost 12 ~320 ms of one core; on the event loop that would stall every
 * request in flight, so the work is handed to bcrypt-worker.mjs and awaited.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import { HASHER_MAX_WAIT_MS, HASHER_QUEUE_MAX, HASHER_QUEUE_MAX_HASHES } from '../../limits/bounds.ts';
import type { BcryptAnswer, BcryptRequest, BcryptTask } from './bcrypt-protocol.ts';

/** A caller that gives up (its request was aborted) takes its job out of the queue. */
export interface HasherCallOptions {
  signal?: AbortSignal;
  /** A check for a browser the account knows: it goes before other checks, so that a burst of
   * strangers' guesses does not keep the owner waiting. */
  first?: boolean;
}

/** Hashing behind an interface so that where the work runs (this thread, a worker pool) is one
 * decision in one place. */
export interface PasswordHasher {
  hash(password: string, options?: HasherCallOptions): Promise<string>;
  verify(password: string, hash: string, options?: HasherCallOptions): Promise<boolean>;
  /** The cost of new hashes. */
  readonly cost: number;
  /** `dummyHashAt(cost)`. */
  readonly dummyHash: string;
  /** A hash of that cost that no password matches (the same one on every call), compared against
   * when the account does not exist, so an unknown account costs the same bcrypt work as a wrong
   * password; at the cost the stored hashes have, which differs from `cost` after BCRYPT_COST changed. */
  dummyHashAt(cost: number): string;
  /** Jobs waiting for a thread. */
  readonly queued: number;
}

export interface PooledPasswordHasher extends PasswordHasher {
  /** Ends the worker threads; calls still waiting are refused. */
  close(): Promise<void>;
}

/** The queue is at its bound (limits/bounds.ts): refused at once, so that a storm is answered with
 * a retry time instead of waits longer than the caller would stay. */
export class PasswordQueueFull extends Error {
  /** When the work already waiting should be done, at the pace of recent jobs. */
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super(`password hasher is busy; retry after ${retryAfterSeconds} s`);
    this.name = 'PasswordQueueFull';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

const WORKER_URL = new URL('./bcrypt-worker.mjs', import.meta.url);
/** Weight of the newest job in the moving average of job durations. */
const DURATION_SMOOTHING = 0.2;

interface Job {
  readonly id: number;
  readonly task: BcryptTask;
  started: number;
  resolve(value: string | boolean): void;
  reject(error: unknown): void;
}

/**
 * Two kinds of thread. With two or more, one CHECK thread takes only password checks, at the
 * event loop's niceness (0); the other `size - 1` take any job, checks first, at niceness 19, and
 * are the only ones that make new hashes (registrations). So a stream of registrations never
 * holds every thread while a sign-in waits, at most one bcrypt thread competes with the event
 * loop as an equal, and when the cores are short the kernel gives a sign-in's check and every
 * request's event-loop work the CPU before a stranger's new account. (Linux cannot lower a
 * thread's niceness again without privilege, so a thread keeps its kind.) Measured on 2 cores
 * (reliability/abuse.stress.ts, sign-ins p99 while register batches run): hashes on both threads,
 * 400–790 ms against ~120 ms alone; hashes on one of two threads, both at niceness 10, 180–370 ms
 * against 65–105 ms; as here, 110–190 ms. A check goes to an idle check thread first.
 *
 * Each thread does one job at a time and the rest wait: known browsers' checks first, then other
 * checks (sign-ins), then new hashes, each kind in order. Threads start on first need; one holds
 * the process open only while it has a job, so an idle pool never keeps a script or a test run
 * alive; a thread that dies fails its job and is replaced on next need. With one thread, it takes
 * everything. `guessMs` stands for a job's duration until one has been measured.
 */
type Lane = 'check' | 'any';
const NICENESS: Record<Lane, number> = { check: 0, any: 19 };

function createWorkerPool(size: number, workerUrl: URL, guessMs: number) {
  const workers = new Map<Worker, Lane>();
  // A set: a thread listed idle twice would be handed two jobs at once, and one would never end.
  const idle = new Set<Worker>();
  const running = new Map<Worker, Job>();
  const warm = new WeakSet<Worker>();
  const queues = { first: [] as Job[], verify: [] as Job[], hash: [] as Job[] };
  const waiting = () => queues.first.length + queues.verify.length + queues.hash.length;
  // With one thread there is no second to keep for checks: it is of the kind that takes anything.
  const capacity: Record<Lane, number> = size >= 2 ? { check: 1, any: size - 1 } : { check: 0, any: 1 };
  const count = (lane: Lane) => [...workers.values()].filter((l) => l === lane).length;
  let lastId = 0;
  let averageMs: number | undefined;
  let closed = false;

  function assign(worker: Worker): void {
    const job = queues.first.shift() ?? queues.verify.shift() ?? (workers.get(worker) === 'any' ? queues.hash.shift() : undefined);
    if (!job) {
      worker.unref();
      idle.add(worker);
      return;
    }
    running.set(worker, job);
    worker.ref();
    job.started = performance.now();
    worker.postMessage({ ...job.task, id: job.id } satisfies BcryptRequest);
  }

  /** A thread for a job just queued: an idle one that may take it (a check thread first for a
   * check), or a new one where the pool has room; otherwise the job waits for the next free one. */
  function dispatch(op: BcryptTask['op']): void {
    const lanes: Lane[] = op === 'hash' ? ['any'] : ['check', 'any'];
    for (const lane of lanes) {
      const worker = [...idle].find((w) => workers.get(w) === lane);
      if (worker) {
        idle.delete(worker);
        assign(worker);
        return;
      }
    }
    const lane = lanes.find((l) => count(l) < capacity[l]);
    if (lane) spawn(lane);
  }

  function spawn(lane: Lane): void {
    const worker = new Worker(workerUrl, { workerData: { niceness: NICENESS[lane] } });
    workers.set(worker, lane);
    worker.on('message', (message: unknown) => {
      // Not everything on this port is an answer (under `node --watch` Node posts its own
      // `{"watch:import": [...]}` here), and an answer to an earlier job is no answer to this one.
      const job = running.get(worker);
      if (!job || (message as Partial<BcryptAnswer> | null)?.id !== job.id) return;
      const answer = message as BcryptAnswer;
      running.delete(worker);
      const ms = performance.now() - job.started;
      // A thread's first job also waited for the thread to start and load bcrypt: not a job's pace.
      if (warm.has(worker)) averageMs = averageMs === undefined ? ms : averageMs + DURATION_SMOOTHING * (ms - averageMs);
      warm.add(worker);
      // A job aborted while running has already been rejected; its answer changes nothing.
      if (answer.ok) job.resolve(answer.value);
      else job.reject(new Error(`bcrypt: ${answer.message}`));
      assign(worker);
    });
    // An uncaught error (the file failed to load, say) is followed by 'exit', which fails the job.
    let failure: Error | undefined;
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('exit', (code) => {
      workers.delete(worker);
      idle.delete(worker);
      const job = running.get(worker);
      job?.reject(failure ?? new Error(`bcrypt worker stopped (exit code ${code})`));
      running.delete(worker);
      if (closed) return;
      if (queues.first.length + queues.verify.length > 0) dispatch('verify');
      if (queues.hash.length > 0) dispatch('hash');
    });
    assign(worker);
  }

  function refusal(): PasswordQueueFull {
    // By the time the threads have worked through what waits now, a call would find room.
    const seconds = Math.ceil((waiting() * (averageMs ?? guessMs)) / size / 1000);
    return new PasswordQueueFull(Math.max(1, seconds));
  }

  return {
    get queued() {
      return waiting();
    },
    run(task: BcryptTask, signal?: AbortSignal, first = false): Promise<string | boolean> {
      if (closed) return Promise.reject(new Error('password hasher is closed'));
      if (signal?.aborted) return Promise.reject(signal.reason);
      const queue = first && task.op === 'verify' ? queues.first : queues[task.op];
      // Jobs wait only when every thread is busy, so the bound counts waiting jobs alone.
      const wouldWaitMs = ((waiting() + 1) * (averageMs ?? guessMs)) / size;
      if (
        waiting() >= HASHER_QUEUE_MAX ||
        wouldWaitMs > HASHER_MAX_WAIT_MS ||
        (task.op === 'hash' && queue.length >= HASHER_QUEUE_MAX_HASHES)
      ) {
        return Promise.reject(refusal());
      }
      let job!: Job;
      const answered = new Promise<string | boolean>((resolve, reject) => {
        job = { id: ++lastId, task, started: 0, resolve, reject };
      });
      const onAbort = () => {
        // Still waiting: it leaves the queue. Running: the thread cannot be stopped mid-bcrypt,
        // so it finishes and its answer is dropped.
        const at = queue.indexOf(job);
        if (at >= 0) queue.splice(at, 1);
        job.reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(job);
      dispatch(task.op);
      return answered.finally(() => signal?.removeEventListener('abort', onAbort));
    },
    async close(): Promise<void> {
      closed = true;
      for (const job of [...queues.first.splice(0), ...queues.verify.splice(0), ...queues.hash.splice(0)])
        job.reject(new Error('password hasher is closed'));
      await Promise.all([...workers.keys()].map((worker) => worker.terminate()));
    },
  };
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A well-formed bcrypt hash of that cost with a fresh salt and a random digest. Comparing against
 * it costs exactly what comparing against a real hash does (the work is hashing the candidate with
 * the salt and cost), and no password matches it; making it costs nothing, so start-up does not
 * wait for a hash.
 */
function unmatchableHash(cost: number): string {
  // bcryptjs would quietly make a salt of another cost, which bcrypt then refuses or times wrongly.
  if (!Number.isInteger(cost) || cost < 4 || cost > 31) throw new RangeError(`bcrypt cost must be an integer from 4 to 31, not ${cost}`);
  const digest = [...randomBytes(31)].map((byte) => BCRYPT_ALPHABET[byte % 64]).join('');
  return bcrypt.genSaltSync(cost) + digest;
}

/** The cost a stored bcrypt hash was made with, or null for anything that is not one. */
export function costOf(hash: string): number | null {
  const match = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/.exec(hash);
  const cost = match ? Number(match[1]) : NaN;
  return cost >= 4 && cost <= 31 ? cost : null;
}

/** `threads` defaults to the cores this process may use: bcrypt is pure CPU, more would only queue.
 * The threads start on first use. `workerUrl` is for tests, which put a worker of their own
 * around the real one. */
export async function createBcryptHasher(
  cost: number,
  threads = os.availableParallelism(),
  options: { workerUrl?: URL } = {},
): Promise<PooledPasswordHasher> {
  // ~85 ms at cost 10 on the project's machines, doubling with each step of cost.
  const pool = createWorkerPool(Math.max(1, threads), options.workerUrl ?? WORKER_URL, 100 * 2 ** (cost - 10));
  const dummies = new Map<number, string>();
  const dummyHashAt = (at: number) => {
    if (!dummies.has(at)) dummies.set(at, unmatchableHash(at));
    return dummies.get(at)!;
  };
  return {
    hash: async (password, { signal } = {}) => (await pool.run({ op: 'hash', password, cost }, signal)) as string,
    verify: async (password, stored, { signal, first } = {}) =>
      (await pool.run({ op: 'verify', password, hash: stored }, signal, first)) as boolean,
    cost,
    dummyHash: dummyHashAt(cost),
    dummyHashAt,
    get queued() {
      return pool.queued;
    },
    close: () => pool.close(),
  };
}
