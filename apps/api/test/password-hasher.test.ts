/**
 * The bcrypt pool: correct answers, and the work really happens on worker threads, so the event
 * loop keeps serving while a slow hash runs.
 */
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createBcryptHasher, type PooledPasswordHasher } from '../src/modules/passwords/password-hasher.ts';

describe('bcrypt worker pool', () => {
  const opened: PooledPasswordHasher[] = [];
  const open = async (cost: number, threads?: number) => {
    const hasher = await createBcryptHasher(cost, threads);
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
  });

  it('makes comparing against the dummy hash cost as much as against a real one', async () => {
    const hasher = await open(10, 1);
    const real = await hasher.hash('correct horse 1');
    const time = async (hash: string) => {
      const started = performance.now();
      await hasher.verify('wrong horse 1', hash);
      return performance.now() - started;
    };
    await time(real);
    const [dummy, wrong] = [await time(hasher.dummyHash), await time(real)];
    expect(dummy).toBeGreaterThan(wrong / 2);
    expect(dummy).toBeLessThan(wrong * 2);
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

  it('refuses work after close', async () => {
    const hasher = await createBcryptHasher(4, 1);
    await hasher.close();
    await expect(hasher.hash('too late password')).rejects.toThrow(/closed/);
  });
});
