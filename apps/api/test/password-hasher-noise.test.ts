/**
 * Other traffic on a worker's port (Node's `watch:import` notices, junk, answers with a missing
 * or stale id) is never taken for the answer to a job: every call gets its own answer, none
 * hangs, and no thread is handed two jobs at once.
 */
import bcrypt from 'bcryptjs';
import { afterAll, expect, it } from 'vitest';
import { createBcryptHasher, type PooledPasswordHasher } from '../src/modules/passwords/password-hasher.ts';
import { NOISY_WORKER_URL, within } from './support/hasher/recording.ts';

const THREADS = 2;
const STORED = bcrypt.hashSync('the right password', 4);
/** Far more than 20 cost-4 jobs need on any machine; only a hang gets near it. */
const BOUND_MS = 20_000;

const opened: PooledPasswordHasher[] = [];
afterAll(() => Promise.all(opened.map((hasher) => hasher.close())));

/** A call and whether its answer is the right one for it. */
function call(hasher: PooledPasswordHasher, i: number): Promise<boolean> {
  if (i % 3 === 0) {
    const password = `new account ${i}`;
    return hasher.hash(password).then((hash) => /^\$2b\$04\$/.test(hash) && bcrypt.compareSync(password, hash));
  }
  const right = i % 3 === 1;
  return hasher.verify(right ? 'the right password' : `wrong password ${i}`, STORED).then((matches) => matches === right);
}

it('gives 20 concurrent hashes and checks each its own answer through the noise', async () => {
  const hasher = await createBcryptHasher(4, THREADS, { workerUrl: NOISY_WORKER_URL });
  opened.push(hasher);
  const burst = Array.from({ length: 20 }, (_, i) => call(hasher, i));
  expect(await within(BOUND_MS, Promise.all(burst))).toEqual(burst.map(() => true));

  // Every thread idle once: THREADS calls find one each and one more waits. A thread listed idle
  // twice would take two of them (nothing waiting), and one of those would never be answered.
  const more = Array.from({ length: THREADS + 1 }, (_, i) => call(hasher, i + 1));
  expect(hasher.queued).toBe(1);
  expect(await within(BOUND_MS, Promise.all(more))).toEqual(more.map(() => true));
  expect(hasher.queued).toBe(0);
});

it('answers right and wrong passwords correctly when calls come one at a time through the noise', async () => {
  const hasher = await createBcryptHasher(4, 1, { workerUrl: NOISY_WORKER_URL });
  opened.push(hasher);
  for (let i = 0; i < 6; i++) expect(await within(BOUND_MS, call(hasher, i))).toBe(true);
});
