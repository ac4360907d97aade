/**
 * A 3-node MariaDB Galera cluster of the test's own on 127.0.0.1 (the shared server on :3306 is
 * left alone), as test/support/mariadb.ts is one server: three mariadbd processes, each with its
 * own client port, data folder, socket, pid file and Galera ports, that a test can kill, stop and
 * start again (the node rejoins by IST or rsync SST). Root over TCP has an empty password.
 *
 * Measured here (2 cores): mariadb-install-db ~2 s, then node 1 bootstrapped and nodes 2 and 3
 * joined by rsync SST, all Synced with wsrep_cluster_size=3, in 11-14 s; the whole
 * createGaleraCluster() 13-16 s. A SIGKILLed node back to Synced in 4-8 s.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { mariadbd, ownMariadbUnavailable } from './mariadb.ts';

export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
const INSTALL_DB = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'].find((file) => fs.existsSync(file));
const RSYNC = ['/usr/bin/rsync', '/bin/rsync'].find((file) => fs.existsSync(file));
/** One node's start: SST of a fresh node or the bootstrap; generous on a loaded 2-core machine. */
const NODE_START_TIMEOUT_MS = 90_000;
const DIR_PREFIX = 'wl-galera-';

/**
 * The account the servers run as. Not root: the joiner's rsync daemon, started by the SST script
 * as the server's user, drops root to `nobody`, which then may not write the data folder (SST
 * fails with "mkdir mysql failed: Permission denied"). Under root the servers run as `mysql`
 * (mariadb-server's account); under anyone else, as that user.
 */
const serverUser: { name: string; uid: number; gid: number } | null = (() => {
  if (process.getuid?.() !== 0) return { name: os.userInfo().username, uid: -1, gid: -1 };
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('mysql:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  return line ? { name: 'mysql', uid: Number(uid), gid: Number(gid) } : null;
})();

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

interface Node {
  dir: string;
  cnf: string;
  port: number;
  group: number;
  ist: number;
  sst: number;
  child: ChildProcess | null;
  exited: Promise<void>;
}

const readOr = (file: string, fallback = '') => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
};

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A run that died without disposing (a killed vitest worker) leaves its mariadbd behind: end
 * those, by the pids in their pid files, only when the owning test process is gone and the pid
 * still runs a mariadbd on that very folder.
 */
function reapAbandoned(): void {
  for (const entry of fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith(DIR_PREFIX))) {
    const dir = path.join(os.tmpdir(), entry);
    const owner = Number(readOr(path.join(dir, 'owner')) || 0);
    // No owner yet: a run that is creating it right now, unless it is old.
    if (owner ? isAlive(owner) : Date.now() - fs.statSync(dir).mtimeMs < 600_000) continue;
    for (const node of fs.readdirSync(dir).filter((name) => name.startsWith('node'))) {
      const pid = Number(readOr(path.join(dir, node, 'mysqld.pid')).trim() || 0);
      const cmdline = pid ? readOr(`/proc/${pid}/cmdline`) : '';
      if (pid && cmdline.includes(dir)) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether nothing listens on 127.0.0.1:port right now. */
function portFree(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Ports below the kernel's ephemeral range (ip_local_port_range, 32768+): a port picked there
 * (as freePort does) is often taken, before the node binds it, by the outgoing end of another
 * node's group, IST or SST connection ("Bind on TCP/IP port… Address already in use").
 */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!ports.has(port) && (await portFree(port))) ports.add(port);
  }
  return [...ports];
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
  reapAbandoned();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  fs.writeFileSync(path.join(root, 'owner'), String(process.pid));
  const ports = await distinctFreePorts(size * 4);
  const nodes: Node[] = Array.from({ length: size }, (_, i) => {
    const [port, group, ist, sst] = ports.slice(i * 4, i * 4 + 4) as [number, number, number, number];
    const dir = path.join(root, `node${i + 1}`);
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    return { dir, cnf: path.join(dir, 'my.cnf'), port, group, ist, sst, child: null, exited: Promise.resolve() };
  });
  const clusterAddress = `gcomm://${nodes.map((n) => `127.0.0.1:${n.group}`).join(',')}`;
  for (const [i, node] of nodes.entries()) {
    // A file rather than flags: the SST script reads the server's settings from --defaults-file.
    fs.writeFileSync(
      node.cnf,
      [
        '[mysqld]',
        `datadir=${node.dir}/data`,
        `port=${node.port}`,
        'bind-address=127.0.0.1',
        `socket=${node.dir}/mysqld.sock`,
        `pid-file=${node.dir}/mysqld.pid`,
        `log-error=${node.dir}/error.log`,
        `user=${serverUser!.name}`,
        'skip-name-resolve',
        'performance_schema=OFF',
        'innodb_buffer_pool_size=32M',
        'innodb_log_file_size=16M',
        'binlog_format=ROW',
        'default_storage_engine=InnoDB',
        'innodb_autoinc_lock_mode=2',
        'wsrep_on=ON',
        `wsrep_provider=${GALERA_PROVIDER}`,
        `wsrep_cluster_name=${path.basename(root)}`,
        `wsrep_cluster_address=${clusterAddress}`,
        `wsrep_node_name=node${i + 1}`,
        `wsrep_node_address=127.0.0.1:${node.group}`,
        // gcache big enough that a node away for a test's minute comes back by IST, not SST.
        `wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${node.group};ist.recv_addr=127.0.0.1:${node.ist};gcache.size=64M"`,
        'wsrep_sst_method=rsync',
        `wsrep_sst_receive_address=127.0.0.1:${node.sst}`,
        '',
      ].join('\n'),
    );
  }
  // Only the first node is initialised, without the provider; the others receive it by SST.
  await promisify(execFile)(
    INSTALL_DB!,
    ['--no-defaults', `--datadir=${nodes[0]!.dir}/data`, '--auth-root-authentication-method=normal', '--skip-test-db'],
    { timeout: 120_000 },
  );
  if (serverUser!.uid >= 0) {
    // The servers (as `mysql`) must reach their folders inside mkdtemp's private one.
    fs.chmodSync(root, 0o755);
    for (const node of nodes) {
      for (const entry of fs.readdirSync(node.dir, { recursive: true, encoding: 'utf8' }))
        fs.chownSync(path.join(node.dir, entry), serverUser!.uid, serverUser!.gid);
      fs.chownSync(node.dir, serverUser!.uid, serverUser!.gid);
    }
  }

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
