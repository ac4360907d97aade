/**
 * Fuzzing at volume: at least 10,000 generated requests (test/support/fuzz.ts) across
 * every procedure against the real API process on SQLite, and more on MySQL where it answers. No
 * answer is a 5xx or leaves the closed set of reasons, and the process's memory stays flat: its
 * heap is capped (a leak would end it), and its resident size after the run is compared with the
 * size once warmed up.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS } from '../support/databases.ts';
import { startSimulator } from '../support/harness.ts';
import { apiEnv, spawnApi } from '../support/api-process.ts';
import { PROCEDURES } from '../support/procedures.ts';
import { FuzzWorld, fuzz } from '../support/fuzz.ts';

const RUNS: Record<string, number> = {
  sqlite: Number(process.env.FUZZ_RUNS ?? 10_000),
  mysql: Number(process.env.FUZZ_RUNS_MYSQL ?? 4000),
};
const WARM_FRACTION = 0.2;
/** Growth of the resident set allowed between "warmed up" and "done". */
const RSS_GROWTH_BOUND_MB = 48;

function residentMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

describe.each(DIALECTS)('fuzzing the API process on %s', (dialect) => {
  let sim: WeiboSimulator;
  let tmp: string;
  beforeAll(async () => {
    sim = await startSimulator();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-fuzz-'));
  });
  afterAll(async () => {
    await sim.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it(`answers ${RUNS[dialect]} generated requests with no 5xx, within the closed reasons, with flat memory`, async () => {
    const runs = RUNS[dialect]!;
    const db = dialect === 'mysql' ? await createTestDatabase('mysql') : null;
    const api = await spawnApi(
      apiEnv(sim.url, {
        DATABASE_URL: db?.config.kind === 'mysql' ? db.config.url : `sqlite:${path.join(tmp, 'fuzz.sqlite')}`,
        BCRYPT_COST: '10',
        TRUST_PROXY: '127.0.0.1',
        LOG_LEVEL: 'warn',
      }),
    );
    try {
      const world = new FuzzWorld(api.url, sim.url);
      await world.prepare();
      const rss: number[] = [];
      const started = performance.now();
      await fuzz(world, runs, (done) => {
        if (done === Math.round(runs * WARM_FRACTION) || done === runs) rss.push(residentMb(api.child.pid!));
      });
      const seconds = (performance.now() - started) / 1000;
      const statuses = Object.fromEntries([...world.statuses].sort(([a], [b]) => a - b));
      const reasons = Object.fromEntries([...world.reasons].sort(([, a], [, b]) => b - a));
      console.log(
        `fuzz on ${dialect}: ${world.sent} requests in ${seconds.toFixed(0)} s; rss ${rss.map((mb) => mb.toFixed(1)).join(' → ')} MB\n  statuses ${JSON.stringify(statuses)}\n  reasons ${JSON.stringify(reasons)}\n  per procedure ${JSON.stringify(Object.fromEntries(world.perProcedure))}`,
      );
      expect(world.sent).toBeGreaterThanOrEqual(runs);
      for (const procedure of Object.keys(PROCEDURES)) expect(world.perProcedure.get(procedure) ?? 0, procedure).toBeGreaterThan(runs / 30);
      expect(api.child.exitCode, api.output().slice(-2000)).toBeNull();
      expect(rss).toHaveLength(2);
      expect(rss[1]! - rss[0]!).toBeLessThan(RSS_GROWTH_BOUND_MB);
    } finally {
      const exit = await api.stop();
      await db?.drop();
      expect(exit).toEqual({ code: 0, signal: null });
    }
  });
});
