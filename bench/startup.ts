/**
 * Benchmark 4b: time from process start (spawning `node apps/api/src/main.ts`) to the first
 * 200 from /api/healthz, on a fresh SQLite file (so the migrations are included). The probe is
 * not loaded here: this is the process exactly as `pnpm start` runs it. main.ts keeps V8's
 * compile cache in the temp folder, so a restart is the common case; one more start with an
 * empty cache shows the very first start on a machine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, startApi, startSimulator } from './lib/processes.ts';
import { median } from './lib/stats.ts';

export interface Startup {
  runs: number;
  medianMs: number;
  allMs: number[];
  /** With an empty compile cache. */
  coldMs: number;
}

async function timeOneStart(simUrl: string, env: Record<string, string> = {}): Promise<number> {
  const db = await createDatabase('sqlite');
  try {
    const api = await startApi({ databaseUrl: db.url, simUrl, env }, false);
    await api.stop();
    return api.startupMs;
  } finally {
    await db.drop();
  }
}

export async function benchmarkStartup(runs: number, log: (line: string) => void): Promise<Startup> {
  const sim = await startSimulator();
  const emptyCache = fs.mkdtempSync(path.join(os.tmpdir(), 'weibo-login-bench-compile-cache-'));
  try {
    const allMs: number[] = [];
    for (let run = 1; run <= runs; run++) {
      allMs.push(await timeOneStart(sim.url));
      log(`  run ${run}: healthy after ${allMs.at(-1)!.toFixed(0)} ms`);
    }
    const coldMs = await timeOneStart(sim.url, { NODE_COMPILE_CACHE: emptyCache });
    log(`  with an empty compile cache: healthy after ${coldMs.toFixed(0)} ms`);
    return { runs, medianMs: median(allMs), allMs, coldMs };
  } finally {
    fs.rmSync(emptyCache, { recursive: true, force: true });
    await sim.stop();
  }
}
