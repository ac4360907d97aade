/**
 * The pool's queue: bounded (limits/bounds.ts), sign-ins before registrations, and a caller that
 * gives up takes its job out. One thread, and every call made in one synchronous run, so which job
 * waits and which runs does not depend on how fast the machine is.
 */
import fs from 'node:fs';
import bcrypt from 'bcryptjs';
import { afterAll, afterEach, expect, it } from 'vitest';
import { HASHER_MAX_WAIT_MS, HASHER_QUEUE_MAX, HASHER_QUEUE_MAX_HASHES } from '../src/limits/bounds.ts';
import { createBcryptHasher, PasswordQueueFull, type PooledPasswordHasher } from '../src/modules/passwords/password-hasher.ts';
import { failureOf, RECORDING_WORKER_URL, recordTasks, within } from './support/hasher/recording.ts';

const STORED = bcrypt.hashSync('the right password', 4);
const BOUND_MS = 20_000;

const opened: PooledPasswordHasher[] = [];
const open = async (cost: number, workerUrl?: URL) => {
  const hasher = await createBcryptHasher(cost, 1, workerUrl ? { workerUrl } : {});
  opened.push(hasher);
  return hasher;
};
afterAll(() => Promise.all(opened.map((hasher) => hasher.close())));
const recordings: ReturnType<typeof recordTasks>[] = [];
afterEach(() => recordings.splice(0).forEach((recording) => recording.close()));
const record = () => {
  const recording = recordTasks();
  recordings.push(recording);
  return recording;
};

it('refuses at once past its bounds, hashes first, with a retry time from the pace of recent jobs', async () => {
  const hasher = await open(10);
  const slow = await hasher.hash('starts the thread'); // a thread's first job is not counted in the pace
  const started = performance.now();
  await hasher.verify('times one job', slow);
  const jobMs = performance.now() - started;

  const accepted: Promise<unknown>[] = [hasher.verify('keeps the thread busy', STORED)];
  for (let i = 0; i < HASHER_QUEUE_MAX_HASHES; i++) accepted.push(hasher.hash(`registration ${i}`));
  const hashRefused = failureOf(hasher.hash('one registration too many'));
  // Checks still fit beside the hashes, up to the bound of all jobs.
  // Bounded: were HASHER_MAX_WAIT_MS to refuse first (jobs slower than 300 ms), the loop ends and
  // the count below says so instead of spinning.
  for (let i = 0; hasher.queued < HASHER_QUEUE_MAX && i < HASHER_QUEUE_MAX; i++)
    accepted.push(hasher.verify(`sign-in ${hasher.queued}`, STORED));
  const verifyRefused = failureOf(hasher.verify('one sign-in too many', STORED));
  const settled = Promise.allSettled(accepted);
  expect(hasher.queued).toBe(HASHER_QUEUE_MAX);

  const [hashError, verifyError] = [await hashRefused, await verifyRefused];
  expect(hashError).toBeInstanceOf(PasswordQueueFull);
  expect(verifyError).toBeInstanceOf(PasswordQueueFull);
  const [forHash, forVerify] = [hashError, verifyError].map((error) => (error as PasswordQueueFull).retryAfterSeconds);
  for (const seconds of [forHash!, forVerify!]) {
    expect(Number.isInteger(seconds)).toBe(true);
    expect(seconds).toBeGreaterThanOrEqual(1);
  }
  // The jobs waiting at the time, at about the measured pace of one (within a factor of two).
  expect(forVerify).toBeGreaterThanOrEqual(Math.floor((HASHER_QUEUE_MAX * jobMs) / 2 / 1000));
  expect(forVerify).toBeLessThanOrEqual(Math.ceil((HASHER_QUEUE_MAX * jobMs * 2) / 1000));
  expect(forHash).toBeLessThanOrEqual(forVerify!);

  // Whatever waits is refused by close (the running job may end either way).
  await hasher.close();
  const closed = (await settled).filter((outcome) => outcome.status === 'rejected' && /closed/.test(String(outcome.reason)));
  expect(closed).toHaveLength(HASHER_QUEUE_MAX);
});

it('refuses a job that would wait longer than HASHER_MAX_WAIT_MS, however short the queue', async () => {
  // Cost 14, nothing measured yet: the pool's own guess (1.6 s a job) is the pace, so how many
  // fit does not depend on this machine. One thread runs the first; the rest wait.
  const hasher = await createBcryptHasher(14, 1);
  const guessMs = 100 * 2 ** (14 - 10);
  const fits = Math.floor(HASHER_MAX_WAIT_MS / guessMs);
  expect(fits).toBeLessThan(HASHER_QUEUE_MAX);
  const calls = Array.from({ length: fits + 2 }, (_, i) => failureOf(hasher.verify(`guess ${i}`, STORED)));
  expect(hasher.queued).toBe(fits);
  await hasher.close();
  const refused = (await Promise.all(calls)).filter((reason) => reason instanceof PasswordQueueFull);
  expect(refused).toHaveLength(1);
  expect((refused[0] as PasswordQueueFull).retryAfterSeconds).toBeGreaterThanOrEqual(Math.floor(HASHER_MAX_WAIT_MS / 1000));
});

it('runs a waiting check before the hashes that waited longer', async () => {
  const hasher = await open(4);
  const finished: string[] = [];
  const track = (name: string, promise: Promise<unknown>) => promise.then(() => finished.push(name));
  const calls = [
    track('running hash', hasher.hash('keeps the thread busy')),
    track('hash 1', hasher.hash('first registration')),
    track('hash 2', hasher.hash('second registration')),
    track('check', hasher.verify('the right password', STORED)),
  ];
  expect(hasher.queued).toBe(3);
  await within(BOUND_MS, Promise.all(calls));
  expect(finished).toEqual(['running hash', 'check', 'hash 1', 'hash 2']);
});

it("runs a known browser's check before other checks that waited longer", async () => {
  const hasher = await open(4);
  const finished: string[] = [];
  const track = (name: string, promise: Promise<unknown>) => promise.then(() => finished.push(name));
  const calls = [
    track('running hash', hasher.hash('keeps the thread busy')),
    track('stranger 1', hasher.verify('guess one', STORED)),
    track('stranger 2', hasher.verify('guess two', STORED)),
    track('owner', hasher.verify('the right password', STORED, { first: true })),
  ];
  expect(hasher.queued).toBe(3);
  await within(BOUND_MS, Promise.all(calls));
  expect(finished).toEqual(['running hash', 'owner', 'stranger 1', 'stranger 2']);
});

it('keeps a thread for checks: new hashes never hold every thread', async () => {
  const hasher = await createBcryptHasher(4, 2);
  opened.push(hasher);
  // Start both threads, then queue hashes: one thread takes a hash, the other stays free.
  await Promise.all([hasher.verify('warm one', STORED), hasher.verify('warm two', STORED)]);
  const hashes = Array.from({ length: 4 }, (_, i) => hasher.hash(`registration ${i}`));
  expect(hasher.queued).toBe(3);
  const check = hasher.verify('the right password', STORED);
  // Nothing waited for the check: it went straight to the thread the hashes may not take.
  expect(hasher.queued).toBe(3);
  expect(await within(BOUND_MS, check)).toBe(true);
  await within(BOUND_MS, Promise.all(hashes));
});

// Without it: with every thread at one niceness (the pool before: 10 for all), this is [10, 10].
it('makes new hashes at niceness 19 and keeps a thread at 0 for checks (Linux)', async () => {
  // Field 19 of /proc/self/task/<tid>/stat is a thread's niceness.
  const nicenessOf = (tid: string) => Number(fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
  const before = new Set(fs.readdirSync('/proc/self/task'));
  const hasher = await createBcryptHasher(4, 2);
  opened.push(hasher);
  await Promise.all([hasher.verify('warm one', STORED), hasher.verify('warm two', STORED)]);
  const poolThreads = fs.readdirSync('/proc/self/task').filter((tid) => !before.has(tid));
  expect(poolThreads.map(nicenessOf).sort((a, b) => a - b)).toEqual([0, 19]);
});

it('takes a job aborted while waiting out of the queue: it never runs', async () => {
  const recording = record();
  const hasher = await open(4, RECORDING_WORKER_URL);
  const controller = new AbortController();
  const first = hasher.hash('first job');
  const aborted = failureOf(hasher.verify('aborted job', STORED, { signal: controller.signal }));
  const last = hasher.verify('the right password', STORED);
  expect(hasher.queued).toBe(2);
  controller.abort();
  expect(hasher.queued).toBe(1);
  expect(await aborted).toMatchObject({ name: 'AbortError' });
  expect(await within(BOUND_MS, last)).toBe(true);
  await within(BOUND_MS, first);
  // One thread takes jobs in order: had the aborted one run, it would have been told before the last.
  await within(BOUND_MS, recording.seen('the right password'), 'the recording');
  expect(recording.passwords).toEqual(['first job', 'the right password']);
});

it('refuses an already aborted call at once, queueing nothing', async () => {
  const recording = record();
  const hasher = await open(4, RECORDING_WORKER_URL);
  const busy = hasher.hash('keeps the thread busy');
  const reason = new Error('the client went away');
  expect(await failureOf(hasher.hash('never queued', { signal: AbortSignal.abort(reason) }))).toBe(reason);
  expect(await failureOf(hasher.verify('never queued', STORED, { signal: AbortSignal.abort() }))).toMatchObject({ name: 'AbortError' });
  expect(hasher.queued).toBe(0);
  await within(BOUND_MS, busy);
  expect(await within(BOUND_MS, hasher.verify('the right password', STORED))).toBe(true);
  await within(BOUND_MS, recording.seen('the right password'), 'the recording');
  expect(recording.passwords).toEqual(['keeps the thread busy', 'the right password']);
});

it('rejects a job aborted while running, and gives its answer to no other job', async () => {
  const hasher = await open(4);
  const controller = new AbortController();
  const running = failureOf(hasher.hash('aborted while running', { signal: controller.signal }));
  const next = hasher.verify('the right password', STORED);
  controller.abort();
  expect(await running).toMatchObject({ name: 'AbortError' });
  expect(await within(BOUND_MS, next)).toBe(true);
  expect(await within(BOUND_MS, hasher.verify('a wrong password', STORED))).toBe(false);
});
