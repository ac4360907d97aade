/**
 * A quick round of the generated requests of test/support/fuzz.ts against an
 * in-process API on each database, so that a 500 is caught by `pnpm test`; the 10,000-request
 * run with the memory check is test/reliability/fuzz.stress.ts.
 */
import { expect, it } from 'vitest';
import { FuzzWorld, fuzz } from '../support/fuzz.ts';
import { PROCEDURES } from '../support/procedures.ts';
import { describeOnEachDatabase } from '../support/harness.ts';
import { sharedDatabase, startInstance } from '../support/instances.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 600);

describeOnEachDatabase('fuzzing (quick)', (h) => {
  it(`answers ${RUNS} generated requests across every procedure without a 5xx or an unknown reason`, async () => {
    const db = await sharedDatabase(h.dialect);
    // Behind a trusted proxy, so the generated X-Forwarded-For values reach the address columns.
    const api = await startInstance(db.config, h.sim.url, { trustProxy: '127.0.0.1' });
    try {
      const world = new FuzzWorld(api.url, h.sim.url);
      await world.prepare(6, 20);
      await fuzz(world, RUNS);
      expect(world.sent).toBeGreaterThanOrEqual(RUNS);
      expect([...world.perProcedure.keys()].sort()).toEqual(Object.keys(PROCEDURES).sort());
    } finally {
      await api.stop();
      await db.drop();
    }
  });
});
