/**
 * Password hashing (bcryptjs) in a pool of worker threads sized to the machine. A bcrypt of
 * cost 10 takes ~85 ms and cost 12 ~320 ms of one core; on the event loop that would stall every
 * request in flight, so the work is handed to bcrypt-worker.ts and awaited.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import type { BcryptAnswer, BcryptTask } from './bcrypt-worker.ts';

/** Hashing behind an interface so that where the work runs (this thread, a worker pool) is one
 * decision in one place. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /** A hash of the configured cost that no password matches, compared against when the account
   * does not exist, so an unknown account costs the same bcrypt work as a wrong password. */
  readonly dummyHash: string;
}

export interface PooledPasswordHasher extends PasswordHasher {
  /** Ends the worker threads; calls still waiting are refused. */
  close(): Promise<void>;
}

const WORKER_URL = new URL('./bcrypt-worker.ts', import.meta.url);

interface Job {
  task: BcryptTask;
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

/**
 * At most `size` threads, started on first need; each does one job at a time and the rest wait
 * in order. A thread holds the process open only while it has a job, so an idle pool never keeps
 * a script or a test run alive; a thread that dies fails its job and is replaced on next need.
 */
function createWorkerPool(size: number) {
  const workers = new Set<Worker>();
  const idle: Worker[] = [];
  const inFlight = new Map<Worker, Job>();
  const queue: Job[] = [];
  let closed = false;

  function assign(worker: Worker): void {
    const job = queue.shift();
    if (!job) {
      worker.unref();
      idle.push(worker);
      return;
    }
    inFlight.set(worker, job);
    worker.ref();
    worker.postMessage(job.task);
  }

  function spawn(): void {
    const worker = new Worker(WORKER_URL);
    workers.add(worker);
    worker.on('message', (answer: BcryptAnswer) => {
      const job = inFlight.get(worker);
      inFlight.delete(worker);
      if (answer.ok) job?.resolve(answer.value);
      else job?.reject(new Error(`bcrypt: ${answer.message}`));
      assign(worker);
    });
    // An uncaught error (the file failed to load, say) is followed by 'exit', which fails the job.
    let failure: Error | undefined;
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('exit', (code) => {
      workers.delete(worker);
      const at = idle.indexOf(worker);
      if (at >= 0) idle.splice(at, 1);
      inFlight.get(worker)?.reject(failure ?? new Error(`bcrypt worker stopped (exit code ${code})`));
      inFlight.delete(worker);
      if (!closed && queue.length > 0 && workers.size < size) spawn();
    });
    assign(worker);
  }

  return {
    run(task: BcryptTask): Promise<string | boolean> {
      if (closed) return Promise.reject(new Error('password hasher is closed'));
      return new Promise((resolve, reject) => {
        queue.push({ task, resolve, reject });
        const worker = idle.pop();
        if (worker) assign(worker);
        else if (workers.size < size) spawn();
      });
    },
    async close(): Promise<void> {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('password hasher is closed'));
      await Promise.all([...workers].map((worker) => worker.terminate()));
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
  const digest = [...randomBytes(31)].map((byte) => BCRYPT_ALPHABET[byte % 64]).join('');
  return bcrypt.genSaltSync(cost) + digest;
}

/** `threads` defaults to the cores this process may use: bcrypt is pure CPU, more would only queue.
 * The threads start on first use. */
export async function createBcryptHasher(cost: number, threads: number = os.availableParallelism()): Promise<PooledPasswordHasher> {
  const pool = createWorkerPool(Math.max(1, threads));
  return {
    hash: async (password) => (await pool.run({ op: 'hash', password, cost })) as string,
    verify: async (password, stored) => (await pool.run({ op: 'verify', password, hash: stored })) as boolean,
    dummyHash: unmatchableHash(cost),
    close: () => pool.close(),
  };
}
