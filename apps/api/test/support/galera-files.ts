/**
 * The Galera test cluster's files (galera.ts runs the servers): a private folder per cluster with
 * a data folder, settings file, socket, pid file and error log per node, ports of their own, and
 * the first node's data initialised. Also ends the servers of runs that died without cleaning up.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
const INSTALL_DB = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'].find((file) => fs.existsSync(file));
const DIR_PREFIX = 'wl-galera-';

/**
 * The account the servers run as. Not root: the joiner's rsync daemon, started by the SST script
 * as the server's user, drops root to `nobody`, which then may not write the data folder (SST
 * fails with "mkdir mysql failed: Permission denied"). Under root the servers run as `mysql`
 * (mariadb-server's account); under anyone else, as that user.
 */
export const serverUser: { name: string; uid: number; gid: number } | null = (() => {
  if (process.getuid?.() !== 0) return { name: os.userInfo().username, uid: -1, gid: -1 };
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('mysql:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  return line ? { name: 'mysql', uid: Number(uid), gid: Number(gid) } : null;
})();

export interface NodeFiles {
  dir: string;
  cnf: string;
  /** Client, group communication, IST and SST ports. */
  port: number;
  group: number;
  ist: number;
  sst: number;
}

export const readOr = (file: string, fallback = '') => {
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

/** The cluster's folder and each node's files; node 1's data initialised (the others get it by SST). */
export async function layOutCluster(size: number): Promise<{ root: string; nodes: NodeFiles[] }> {
  reapAbandoned();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  fs.writeFileSync(path.join(root, 'owner'), String(process.pid));
  const ports = await distinctFreePorts(size * 4);
  const nodes: NodeFiles[] = Array.from({ length: size }, (_, i) => {
    const [port, group, ist, sst] = ports.slice(i * 4, i * 4 + 4) as [number, number, number, number];
    const dir = path.join(root, `node${i + 1}`);
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    return { dir, cnf: path.join(dir, 'my.cnf'), port, group, ist, sst };
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

  return { root, nodes };
}
