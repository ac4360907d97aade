/**
 * A 3-node MariaDB Galera cluster of the test's own on 127.0.0.1 (the shared server on :3306 is
 * left alone), as test/support/mariadb.ts is one server: three mariadbd processes, each with its
 * own client port, data folder, socket, pid file and Galera ports, that a test can kill, stop and
 * start again (the node rejoins by IST or rsync SST). Root over TCP has an empty password.
 *
 * Measured here (2 cores, 2026-12, 15 starts): createGaleraCluster() (mariadb-install-db, node 1
 * bootstrapped, nodes 2 and 3 joined one at a time by rsync SST, all three Synced with
 * wsrep_cluster_size=3) takes 9-17 s, mostly 10-13 s. The survivors evict a SIGKILLed node after
 * ~6.5 s (evs.suspect_timeout); started again after that, it is Synced by IST in 5-9 s, and in
 * 14-21 s when started at once (it waits for its dead self to be evicted first).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { GALERA_PROVIDER, layOutCluster, type NodeFiles, readOr, serverUser } from './galera-files.ts';
import { mariadbd, ownMariadbUnavailable } from './mariadb.ts';

const RSYNC = ['/usr/bin/rsync', '/bin/rsync'].find((file) => fs.existsSync(file));
/** One node's start: SST of a fresh node or the bootstrap; generous on a loaded 2-core machine. */
const NODE_START_TIMEOUT_MS = 90_000;

/** Why the cluster cannot run here, or null. */
export const galeraUnavailable: string | null =
  ownMariadbUnavailable ??
  (!fs.existsSync(GALERA_PROVIDER) ? `${GALERA_PROVIDER} is missing (apt-get install -y galera-4)` : null) ??
  (!RSYNC ? 'rsync is missing (apt-get install -y rsync), needed for state transfer' : null) ??
  (!serverUser ? "there is no 'mysql' account to run the nodes as (apt-get install -y mariadb-server)" : null);

/**
 * Called at the top of a cluster suite: one clear line and a skip where the cluster cannot run,
 * a failure instead under REQUIRE_MYSQL=1 (CI, which installs galera-4 and rsync).
 */
export function galeraSkipped(suite: string): boolean {
  if (!galeraUnavailable) return false;
  if (process.env.REQUIRE_MYSQL === '1') throw new Error(`${suite} cannot run (REQUIRE_MYSQL=1): ${galeraUnavailable}`);
  console.warn(`${suite} skipped: ${galeraUnavailable} (REQUIRE_MYSQL=1 makes this a failure)`);
  return true;
}

export interface NodeStatus {
  /** wsrep_local_state_comment: Synced, Joining, Donor/Desynced, Joined, Initialized… */
  state: string;
  clusterSize: number;
  /** wsrep_ready: the node accepts queries. */
  ready: boolean;
  /** wsrep_cluster_status: Primary, or non-Primary when it lost quorum. */
  clusterStatus: string;
}

export interface GaleraCluster {
  readonly size: number;
  /** Client port of node i (0-based). */
  port(node: number): number;
  /** mysql://root@127.0.0.1:<port>/<database> of node i. */
  url(node: number, database: string): string;
  /** On the first running node; waits until every running node sees it (DDL replicates in total order). */
  createDatabase(name: string): Promise<void>;
  /** SIGKILL, and wait for the process to be gone. */
  kill(node: number): Promise<void>;
  /** SIGTERM (a clean leave), and wait for the process to be gone. */
  stop(node: number): Promise<void>;
  /** Starts a stopped node; resolves once it is Synced in a cluster of every running node. */
  start(node: number): Promise<{ ms: number; transfer: 'IST' | 'SST' | 'unknown' }>;
  /** The node's wsrep status, or null when it does not answer. */
  status(node: number): Promise<NodeStatus | null>;
  running(node: number): boolean;
  /** How long the cluster took to be Synced at 3 (ms), install-db included. */
  readonly startedInMs: number;
  /** The tail of a node's error log (for failure messages). */
  log(node: number, chars?: number): string;
  dispose(): Promise<void>;
}

interface Node extends NodeFiles {
  child: ChildProcess | null;
  exited: Promise<void>;
}

async function query<T>(port: number, sql: string, timeoutMs = 2000): Promise<T[]> {
  const connection = await createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: timeoutMs });
  try {
    const [rows] = await connection.query({ sql, timeout: timeoutMs });
    return rows as T[];
  } finally {
    connection.destroy();
  }
}

export async function createGaleraCluster(size = 3): Promise<GaleraCluster> {
  if (galeraUnavailable) throw new Error(galeraUnavailable);
  const began = performance.now();
  const { root, nodes: files } = await layOutCluster(size);
  const nodes: Node[] = files.map((node) => ({ ...node, child: null, exited: Promise.resolve() }));
  const errorLog = (i: number, chars = 3000) => readOr(path.join(nodes[i]!.dir, 'error.log'), '(no error log)').slice(-chars);

  const status = async (i: number): Promise<NodeStatus | null> => {
    try {
      const rows = await query<{ Variable_name: string; Value: string }>(
        nodes[i]!.port,
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment','wsrep_cluster_size','wsrep_ready','wsrep_cluster_status')",
      );
      const value = (name: string) => rows.find((r) => r.Variable_name.toLowerCase() === name)?.Value ?? '';
      return {
        state: value('wsrep_local_state_comment'),
        clusterSize: Number(value('wsrep_cluster_size')),
        ready: value('wsrep_ready') === 'ON',
        clusterStatus: value('wsrep_cluster_status'),
      };
    } catch {
      return null;
    }
  };

  const running = (i: number) => {
    const child = nodes[i]!.child;
    return child !== null && child.exitCode === null && child.signalCode === null;
  };

  async function waitSynced(i: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const expected = () => nodes.filter((_, j) => running(j)).length;
    let last: NodeStatus | null;
    for (;;) {
      if (!running(i)) throw new Error(`galera node${i + 1} exited while starting:\n${errorLog(i)}`);
      last = await status(i);
      if (last?.state === 'Synced' && last.ready && last.clusterSize === expected()) return;
      if (performance.now() > deadline)
        throw new Error(
          `galera node${i + 1} not Synced at size ${expected()} in ${timeoutMs} ms (${JSON.stringify(last)}):\n${errorLog(i)}`,
        );
      // A joining node has no event to wait for from outside: poll.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function startNode(i: number, bootstrap: boolean) {
    const node = nodes[i]!;
    if (running(i)) throw new Error(`galera node${i + 1} is already running`);
    const logBefore = fs.existsSync(path.join(node.dir, 'error.log')) ? fs.statSync(path.join(node.dir, 'error.log')).size : 0;
    const started = performance.now();
    const child = spawn(mariadbd!, [`--defaults-file=${node.cnf}`, ...(bootstrap ? ['--wsrep-new-cluster'] : [])], {
      stdio: 'ignore',
      // The SST script and rsync are found on PATH.
      env: { PATH: `/usr/sbin:/usr/bin:/sbin:/bin:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/root' },
    });
    node.child = child;
    node.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitSynced(i, NODE_START_TIMEOUT_MS);
    const joined = fs.readFileSync(path.join(node.dir, 'error.log'), 'utf8').slice(logBefore);
    const transfer = /IST received|Receiving IST/i.test(joined) ? 'IST' : /SST .*complete|rsync SST/i.test(joined) ? 'SST' : 'unknown';
    return { ms: Math.round(performance.now() - started), transfer } as const;
  }

  async function end(i: number, signal: 'SIGKILL' | 'SIGTERM') {
    const node = nodes[i]!;
    if (running(i)) node.child!.kill(signal);
    await node.exited;
    node.child = null;
  }

  // Whatever happens to the test, the servers go with this process.
  const killAll = () => {
    for (const node of nodes) if (node.child?.pid && node.child.exitCode === null) node.child.kill('SIGKILL');
  };
  process.once('exit', killAll);

  try {
    // Bootstrap node 1, then the others one at a time: two SSTs at once from one donor fail.
    await startNode(0, true);
    for (let i = 1; i < size; i++) await startNode(i, false);
  } catch (error) {
    killAll();
    process.off('exit', killAll);
    throw error;
  }
  const startedInMs = Math.round(performance.now() - began);

  const cluster: GaleraCluster = {
    size,
    startedInMs,
    port: (i) => nodes[i]!.port,
    url: (i, database) => `mysql://root@127.0.0.1:${nodes[i]!.port}/${database}`,
    async createDatabase(name) {
      const first = nodes.findIndex((_, i) => running(i));
      await query(nodes[first]!.port, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`, 10_000);
      const deadline = performance.now() + 10_000;
      for (const [i, node] of nodes.entries()) {
        if (!running(i)) continue;
        while ((await query(node.port, `SHOW DATABASES LIKE '${name}'`)).length === 0) {
          if (performance.now() > deadline) throw new Error(`database ${name} did not reach node${i + 1}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    },
    kill: (i) => end(i, 'SIGKILL'),
    stop: (i) => end(i, 'SIGTERM'),
    start: (i) => startNode(i, false),
    status,
    running,
    log: errorLog,
    async dispose() {
      await Promise.all(nodes.map((_, i) => end(i, 'SIGKILL')));
      process.off('exit', killAll);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  return cluster;
}
