/**
 * (2e) What lets several instances (and several database nodes) share one database: the lock
 * row (db/cluster-lock.ts) that migrations and the background work take, migrations run once when
 * starts race, and transactions that lose a conflict at commit run again. The same on a real
 * three-node Galera cluster: reliability/galera*.stress.ts.
 */
import { sql } from 'kysely';
import { expect, it, vi } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import { ensureLocksTable, LOCKS_TABLE, releaseLock, takeLock } from '../src/db/cluster-lock.ts';
import { BACKGROUND_LEASE_MS, SWEEP_EVERY_MS } from '../src/limits/bounds.ts';
import { startSweeper } from '../src/maintenance.ts';
import { conflictRetries } from '../src/db/conflicts.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { inTransaction } from '../src/db/transaction.ts';
import { createTestDatabase, DIALECTS } from './support/databases.ts';
import { describeOnEachDatabase } from './support/harness.ts';
import { sharedDatabase } from './support/instances.ts';

describeOnEachDatabase('cluster safety', (h) => {
  it('gives a lock to one holder at a time, to another once the lease lapses, and back when released', async () => {
    await ensureLocksTable(h.db);
    const name = `test-${Math.random().toString(36).slice(2)}`;
    const now = Date.now();
    expect(await takeLock(h.db, name, 'a', 1000, now)).toBe(true);
    expect(await takeLock(h.db, name, 'b', 1000, now)).toBe(false);
    // Its holder renews it.
    expect(await takeLock(h.db, name, 'a', 1000, now + 500)).toBe(true);
    expect(await takeLock(h.db, name, 'b', 1000, now + 1400)).toBe(false);
    // Lapsed: the other takes it over.
    expect(await takeLock(h.db, name, 'b', 1000, now + 1501)).toBe(true);
    expect(await takeLock(h.db, name, 'a', 1000, now + 1502)).toBe(false);
    await releaseLock(h.db, name, 'a'); // not a's: nothing happens
    expect(await takeLock(h.db, name, 'a', 1000, now + 1503)).toBe(false);
    await releaseLock(h.db, name, 'b');
    expect(await takeLock(h.db, name, 'a', 1000, now + 1504)).toBe(true);
  });

  it('hands the background work to another instance once its holder dies without a word, not before the lease lapses', async () => {
    // Only the sweepers' minute timers are faked; the database and the test's waits run for real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const holder = async () =>
        (await sql<{ holder: string }>`select holder from ${sql.table(LOCKS_TABLE)} where name = 'background'`.execute(h.db)).rows[0]
          ?.holder ?? null;
      /** An instance's sweeper on the suite's database, with its minutes counted (each ends with the refresh). */
      const instance = () => {
        const ticks = { done: 0 };
        const storedHashCost = {
          get current() {
            return h.deps.storedHashCost.current;
          },
          refresh: async (db: Parameters<typeof h.deps.storedHashCost.refresh>[0]) => {
            await h.deps.storedHashCost.refresh(db);
            ticks.done++;
          },
        };
        return { ticks, stop: startSweeper({ ...h.deps, storedHashCost }, { auditRetentionDays: 180 }) };
      };
      const aMinute = async (...instances: { ticks: { done: number } }[]) => {
        const before = instances.map((i) => i.ticks.done);
        h.clock.advance(SWEEP_EVERY_MS);
        await vi.advanceTimersByTimeAsync(SWEEP_EVERY_MS);
        await until(() => instances.every((i, n) => i.ticks.done > before[n]!));
      };

      const first = instance();
      await aMinute(first);
      const firstHolder = await holder();
      expect(firstHolder).not.toBeNull();
      // It dies (SIGKILL): its timer stops with the process, and it never hands the lease back.
      vi.clearAllTimers();
      const second = instance();
      // The lease was last renewed one minute before the second instance's first minute: it takes over at the first minute past the lease.
      const lapsesAfter = Math.floor(BACKGROUND_LEASE_MS / SWEEP_EVERY_MS) + 1;
      let minutes = 0;
      while ((await holder()) === firstHolder) {
        await aMinute(second);
        minutes++;
        expect(minutes).toBeLessThanOrEqual(lapsesAfter);
      }
      // Not before the lease lapsed, and then at the next minute.
      expect(minutes).toBe(lapsesAfter);
      await second.stop();
      expect(await holder()).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it('runs 8 racing takes of a free lock: exactly one wins', async () => {
    await ensureLocksTable(h.db);
    const name = `race-${Math.random().toString(36).slice(2)}`;
    const now = Date.now();
    const wins = await Promise.all(Array.from({ length: 8 }, (_, i) => takeLock(h.db, name, `holder-${i}`, 60_000, now)));
    expect(wins.filter(Boolean)).toHaveLength(1);
  });
});

it.each(['sqlite', 'mysql'] as const)(
  'migrates a new %s database once when three starts race, each finding the schema current',
  async (kind) => {
    if (!DIALECTS.includes(kind)) return;
    const shared = kind === 'sqlite' ? await sharedDatabase('sqlite') : await createTestDatabase('mysql');
    const clients = [0, 1, 2].map(() => openDatabase(shared.config, { poolSize: 2 }));
    try {
      const applied = await Promise.all(clients.map((client) => migrateToLatest(client.db)));
      // One start ran every migration; the others waited for the lock, then had nothing left to do.
      expect(applied.filter((names) => names.length > 0)).toHaveLength(1);
      expect(applied.flat()).toEqual(expect.arrayContaining(['0001_initial', '0004_account_life']));
      const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(clients[0]!.db);
      expect(new Set(rows.rows.map((row) => row.name)).size).toBe(rows.rows.length);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await shared.drop();
    }
  },
);

describeOnEachDatabase('conflicts at commit', (h) => {
  it('runs a deadlock victim again: two transactions that lock two rows in opposite orders both commit', async () => {
    if (h.dialect !== 'mysql') return; // SQLite has one writer at a time: no deadlock to lose
    const a = await h.registerAccount();
    const b = await h.registerAccount();
    const before = conflictRetries.total;
    const touch = (first: string, second: string) =>
      inTransaction(h.db, async (trx) => {
        await trx.updateTable('users').set({ updated_at: Date.now() }).where('id', '=', Number(first)).execute();
        await new Promise((resolve) => setTimeout(resolve, 100));
        await trx.updateTable('users').set({ updated_at: Date.now() }).where('id', '=', Number(second)).execute();
        return 'committed';
      });
    expect(await Promise.all([touch(a.userId, b.userId), touch(b.userId, a.userId)])).toEqual(['committed', 'committed']);
    expect(conflictRetries.total).toBeGreaterThan(before);
  });
});

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(await check()).toBe(true);
}
