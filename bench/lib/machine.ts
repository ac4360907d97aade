/** The machine a run happened on, and how busy it was: figures mean little without these. */
import os from 'node:os';
import SQLite from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { MYSQL_URL } from './processes.ts';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  sqlite: string;
  mysql: string | null;
  /** MALLOC_ARENA_MAX handed to the servers, if any. */
  mallocArenaMax: string | null;
}

export async function describeMachine(mysqlUp: boolean): Promise<Machine> {
  const sqlite = new SQLite(':memory:');
  const sqliteVersion = (sqlite.prepare('select sqlite_version() as v').get() as { v: string }).v;
  sqlite.close();
  let mysql: string | null = null;
  if (mysqlUp) {
    const connection = await createConnection({ uri: MYSQL_URL });
    const [rows] = await connection.query('select version() as v');
    mysql = (rows as { v: string }[])[0]!.v;
    await connection.end();
  }
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    sqlite: sqliteVersion,
    mysql,
    mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? null,
  };
}

/** The 1-minute load average, to two decimals: other work on the machine shows up here. */
export const loadAverage = (): number => Number(os.loadavg()[0]!.toFixed(2));

/** How busy the machine's CPUs are with other work: sampled over `ms` while the suite itself
 * waits, as a fraction of all cores (0 = quiet, 1 = every core busy). */
export async function otherWorkBusy(ms = 1000): Promise<number> {
  const sample = () =>
    os.cpus().reduce(
      (sum, cpu) => ({
        busy: sum.busy + cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq,
        total: sum.total + cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq + cpu.times.idle,
      }),
      { busy: 0, total: 0 },
    );
  const before = sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = sample();
  return Number(((after.busy - before.busy) / Math.max(1, after.total - before.total)).toFixed(2));
}
