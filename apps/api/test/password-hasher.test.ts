/**
 * The bcrypt pool: correct answers, and the work really happens on worker threads, so the event
 * loop keeps serving while a slow hash runs.
 */
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { costOf, createBcryptHasher, type PooledPasswordHasher } from '../src/modules/passwords/password-hasher.ts';
import { EXIT_PASSWORD, RECORDING_WORKER_URL, failureOf, within } from './support/hasher/recording.ts';

describe('bcrypt worker pool', () => {
  const opened: PooledPasswordHasher[] = [];
  const open = async (cost: number, threads?: number, workerUrl?: URL) => {
    const hasher = await createBcryptHasher(cost, threads, workerUrl ? { workerUrl } : {});
    opened.push(hasher);
    return hasher;
  };
  afterAll(async () => {
    await Promise.all(opened.map((hasher) => hasher.close()));
  });

  it('hashes and verifies, with bcryptjs-compatible hashes of the configured cost', async () => {
    const hasher = await open(4);
    const hash = await hasher.hash('correct horse 1');
    expect(hash).toMatch(/^\$2b\$04\$/);
    expect(await hasher.verify('correct horse 1', hash)).toBe(true);
    expect(await hasher.verify('wrong horse 1', hash)).toBe(false);
    expect(bcrypt.compareSync('correct horse 1', hash)).toBe(true);
    expect(await hasher.verify('correct horse 1', bcrypt.hashSync('correct horse 1', 4))).toBe(true);
    expect(hasher.dummyHash).toMatch(/^\$2b\$04\$[./A-Za-z0-9]{53}$/);
    expect(await hasher.verify('no-such-account-placeholder', hasher.dummyHash)).toBe(false);
    expect(hasher.cost).toBe(4);
  });

  it('makes unmatchable dummy hashes of any cost, one per cost', async () => {
    const hasher = await open(4);
    expect(hasher.dummyHashAt(4)).toBe(hasher.dummyHash);
    const dummy = hasher.dummyHashAt(6);
    expect(dummy).toMatch(/^\$2b\$06\$[./A-Za-z0-9]{53}$/);
    expect(costOf(dummy)).toBe(6);
    expect(hasher.dummyHashAt(6)).toBe(dummy);
    expect(await hasher.verify('', dummy)).toBe(false);
    expect(await hasher.verify('no-such-account-placeholder', dummy)).toBe(false);
    expect(() => hasher.dummyHashAt(3)).toThrow(RangeError);
    expect(() => hasher.dummyHashAt(10.5)).toThrow(RangeError);
  });

  it('reads the cost of bcrypt hashes, and of nothing else', () => {
    const digest = '.'.repeat(53);
    expect(costOf(bcrypt.hashSync('a password', 5))).toBe(5);
    expect(costOf(`$2a$12$${digest}`)).toBe(12);
    expect(costOf(`$2y$31$${digest}`)).toBe(31);
    for (const other of [`$2x$10$${digest}`, `$2b$03$${digest}`, `$2b$32$${digest}`, `$2b$10$${digest}x`, '$2b$10$', 'plain text', '']) {
      expect(costOf(other)).toBeNull();
    }
  });

  it('makes the dummy hash cost what a real one costs: the same cost, salt and shape, and no match', async () => {
    // bcrypt's work is 2^cost rounds whatever the digest, so a hash of the same cost and shape is
    // the same work to compare against; asserted on the hash itself rather than on timings, which
    // a busy machine blurs (security/enumeration.test.ts measures the answers end to end).
    const hasher = await open(10, 1);
    const real = await hasher.hash('correct horse 1');
    expect(costOf(hasher.dummyHash)).toBe(costOf(real));
    expect(hasher.dummyHash).toMatch(/^\$2b\$10\$[./A-Za-z0-9]{53}$/);
    expect(hasher.dummyHash.length).toBe(real.length);
    expect(await hasher.verify('correct horse 1', hasher.dummyHash)).toBe(false);
    expect(await hasher.verify('wrong horse 1', real)).toBe(false);
  });

  it('answers every call when more arrive than it has threads', async () => {
    const hasher = await open(4, 2);
    const passwords = Array.from({ length: 6 }, (_, i) => `password number ${i}`);
    const hashes = await Promise.all(passwords.map((password) => hasher.hash(password)));
    const checks = await Promise.all(passwords.map((password, i) => hasher.verify(password, hashes[(i + 1) % hashes.length]!)));
    expect(checks).toEqual(passwords.map(() => false));
    expect(await Promise.all(passwords.map((password, i) => hasher.verify(password, hashes[i]!)))).toEqual(passwords.map(() => true));
  });

  it('keeps the event loop ticking during a cost-12 hash', async () => {
    const hasher = await open(12, 1);
    let longestGap = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 2);
    const started = performance.now();
    const hash = await hasher.hash('a slow password');
    const took = performance.now() - started;
    clearInterval(ticker);
    expect(hash).toMatch(/^\$2b\$12\$/);
    // On this thread the hash would have blocked every timer for its whole duration (~300 ms).
    expect(took).toBeGreaterThan(100);
    expect(longestGap).toBeLessThan(took / 2);
  });

  it('fails the job of a thread that dies, and replaces the thread', async () => {
    const hasher = await open(4, 1, RECORDING_WORKER_URL);
    const dying = failureOf(hasher.hash(EXIT_PASSWORD));
    const after = hasher.hash('after the crash');
    expect(String(await within(20_000, dying))).toMatch(/exit code 3/);
    expect(bcrypt.compareSync('after the crash', await within(20_000, after))).toBe(true);
  });

  it('refuses waiting calls on close, and work after it', async () => {
    const hasher = await createBcryptHasher(4, 1);
    const running = hasher.hash('running at close');
    const waiting = failureOf(hasher.hash('waiting at close'));
    await Promise.all([hasher.close(), running.catch(() => {})]);
    expect(String(await waiting)).toMatch(/closed/);
    await expect(hasher.hash('too late password')).rejects.toThrow(/closed/);
  });
});
