/**
 * Concurrent starts on an empty database, through different nodes of a Galera cluster: Kysely's
 * MySQL migration lock is GET_LOCK, which holds on one node only, so two instances on two nodes
 * could both migrate (the second's CREATE TABLE fails with 1050 and its start with it, or the
 * migration table gets a row twice). Exactly one must migrate, the others wait and find nothing
 * to do, and every instance ends up ready. Also `pnpm migrate` run through one node while an
 * instance starts through another.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, spawnApi } from '../support/api-process.ts';
import { galeraSkipped } from '../support/galera.ts';
import { createGaleraWorld, type GaleraWorld } from '../support/galera-world.ts';

const MIGRATE_CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/migrate.ts');
/** The migrations src/db/migrate.ts lists (at least these; a later one adds to the list). */
const KNOWN_MIGRATIONS = ['0001_initial', '0002_password_attempt_outcome', '0003_bounded_work', '0004_account_life'];
const MIGRATED_LINE = 'database migrated';

describe.skipIf(galeraSkipped('galera migration suite'))('concurrent migrations through different Galera nodes', () => {
  let w: GaleraWorld;
  let round = 0;

  beforeAll(async () => {
    w = await createGaleraWorld('galera_migrate_unused');
  });
  afterAll(async () => {
    await w?.dispose();
  });

  /** A fresh empty database on the cluster (seen by every node). */
  async function emptyDatabase(): Promise<string> {
    const name = `galera_migrate_${++round}`;
    await w.cluster.createDatabase(name);
    return name;
  }

  /** On every node: each migration recorded once, and the known ones all there. */
  async function migratedOnceEverywhere(database: string) {
    for (let node = 0; node < w.cluster.size; node++) {
      const rows = await w.sql<{ name: string; n: number }>(
        node,
        'SELECT name, COUNT(*) AS n FROM kysely_migration GROUP BY name ORDER BY name',
        [],
        database,
      );
      expect(
        rows.filter((row) => Number(row.n) !== 1),
        `migrations recorded more than once on node${node + 1}`,
      ).toEqual([]);
      expect(
        rows.map((row) => row.name),
        `node${node + 1}`,
      ).toEqual(expect.arrayContaining(KNOWN_MIGRATIONS));
    }
  }

  /** Instances started at the same moment, one per node given; none may fail to start. */
  async function startTogether(database: string, nodes: number[]): Promise<ApiProcess[]> {
    const starts = await Promise.allSettled(nodes.map((node) => spawnApi(w.env(node, { LOG_LEVEL: 'info' }, database))));
    const started = starts.flatMap((s, i) => (s.status === 'fulfilled' ? [w.adopt(s.value, nodes[i]!)] : []));
    const failed = starts.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).message.slice(0, 3000)] : []));
    expect(failed, 'instances that could not start').toEqual([]);
    return started;
  }

  async function readyAndStopped(apis: ApiProcess[]) {
    for (const api of apis) {
      const ready = await fetch(`${api.url}/api/readyz`);
      expect(ready.status, `${w.nameOf(api.url)} readyz ${await ready.text()}`).toBe(200);
    }
    const exits = await Promise.all(apis.map((api) => api.stop()));
    for (const exit of exits) expect(exit).toEqual({ code: 0, signal: null });
  }

  it.each([
    ['two instances on nodes 1 and 2', [0, 1]],
    ['two instances on nodes 2 and 3', [1, 2]],
    ['three instances on nodes 1, 2 and 3', [0, 1, 2]],
  ])('%s started at once on an empty database migrate it once', async (_, nodes) => {
    const database = await emptyDatabase();
    const apis = await startTogether(database, nodes);
    await migratedOnceEverywhere(database);
    const migrated = apis.filter((api) => api.output().includes(MIGRATED_LINE));
    expect(migrated.length, apis.map((api) => `${w.nameOf(api.url)}:\n${api.output().slice(0, 1500)}`).join('\n')).toBe(1);
    await readyAndStopped(apis);
  });

  it('pnpm migrate through one node while an instance starts through another: one migration', async () => {
    const database = await emptyDatabase();
    const cli = new Promise<{ code: number; output: string }>((resolve) => {
      execFile(process.execPath, [MIGRATE_CLI], { env: w.env(0, {}, database), timeout: 120_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
      );
    });
    const [apis, migrate] = await Promise.all([startTogether(database, [1]), cli]);
    expect(migrate.code, migrate.output).toBe(0);
    await migratedOnceEverywhere(database);
    const byCli = /migrated: /.test(migrate.output);
    const byApi = apis[0]!.output().includes(MIGRATED_LINE);
    expect({ byCli, byApi, cli: migrate.output.trim() }).toMatchObject({ byCli: !byApi });
    await readyAndStopped(apis);
  });
});
