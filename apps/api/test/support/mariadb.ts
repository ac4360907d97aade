/**
 * A MariaDB server of the test's own, on a free port with a throw-away data directory, that the
 * test can kill, stop, freeze and start again (the shared one on :3306 is left alone).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { freePort } from '@weibo-login/test-support';

const SERVER_BINARIES = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld', '/usr/bin/mariadbd'];
const INSTALL_BINARIES = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db', '/usr/sbin/mariadb-install-db'];
const READY_TIMEOUT_MS = 60_000;

export const mariadbd = SERVER_BINARIES.find((file) => fs.existsSync(file)) ?? null;
const installDb = INSTALL_BINARIES.find((file) => fs.existsSync(file)) ?? null;

/** Why the suites that need their own server cannot run here, or null when they can. */
export const ownMariadbUnavailable: string | null =
  mariadbd && installDb ? null : 'mariadbd or mariadb-install-db is not installed (apt-get install -y mariadb-server)';

export interface OwnMariadb {
  port: number;
  /** mysql://root@127.0.0.1:port/<database> */
  url(database: string): string;
  start(): Promise<void>;
  /** Sends the signal and, unless it is SIGSTOP, waits for the server to be gone. */
  stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  freeze(): void;
  thaw(): void;
  createDatabase(name: string): Promise<void>;
  /** Ends the server and removes its files. */
  dispose(): Promise<void>;
}

export async function createOwnMariadb(): Promise<OwnMariadb> {
  if (!mariadbd || !installDb) throw new Error(ownMariadbUnavailable!);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-mariadb-'));
  const datadir = path.join(dir, 'data');
  await promisify(execFile)(
    installDb,
    ['--no-defaults', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db'],
    { timeout: 120_000 },
  );
  const port = await freePort();
  let server: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const log = fs.openSync(path.join(dir, 'server.log'), 'a');

  const answers = async () => {
    try {
      const connection = await createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 });
      await connection.end();
      return true;
    } catch {
      return false;
    }
  };

  const instance: OwnMariadb = {
    port,
    url: (database) => `mysql://root@127.0.0.1:${port}/${database}`,
    async start() {
      server = spawn(
        mariadbd!,
        [
          '--no-defaults',
          `--datadir=${datadir}`,
          `--port=${port}`,
          '--bind-address=127.0.0.1',
          `--socket=${path.join(dir, 'mysqld.sock')}`,
          `--pid-file=${path.join(dir, 'mysqld.pid')}`,
          '--user=root',
          '--skip-log-bin',
          '--skip-name-resolve',
          '--innodb-buffer-pool-size=32M',
        ],
        { stdio: ['ignore', log, log] },
      );
      const child = server;
      exited = new Promise((resolve) => child.once('exit', () => resolve()));
      const deadline = Date.now() + READY_TIMEOUT_MS;
      while (!(await answers())) {
        if (child.exitCode !== null)
          throw new Error(`mariadbd exited with ${child.exitCode}:\n${fs.readFileSync(path.join(dir, 'server.log'), 'utf8').slice(-2000)}`);
        if (Date.now() > deadline) throw new Error('mariadbd did not answer in time');
        // A server that is starting has no event to wait for from outside: poll.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop(signal) {
      if (server && server.exitCode === null && server.signalCode === null) server.kill(signal);
      await exited;
      server = null;
    },
    freeze: () => void server?.kill('SIGSTOP'),
    thaw: () => void server?.kill('SIGCONT'),
    async createDatabase(name) {
      const connection = await createConnection({ host: '127.0.0.1', port, user: 'root' });
      await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      await connection.end();
    },
    async dispose() {
      instance.thaw();
      await instance.stop('SIGKILL');
      fs.closeSync(log);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await instance.start();
  return instance;
}
