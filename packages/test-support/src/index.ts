/**
 * What the test suites, the browser suite and the benchmarks all need to stand up their own
 * world on this machine: a free port, a scratch MySQL database, the servers in processes of
 * their own (node-service.ts's launcher; the simulator's in simulator-process.ts).
 */
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';

export { freePort } from './free-port.ts';
export { childrenOf } from './process-children.ts';

/** Whether a MySQL server answers at `url` within two seconds. */
export async function mysqlAnswers(url: string): Promise<boolean> {
  try {
    const connection = await createConnection({ uri: url, connectTimeout: 2000 });
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

export interface ScratchDatabase {
  /** The server URL with the scratch database as its path. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database on the server at `serverUrl` (utf8mb4, binary collation, as the API's
 * migrations expect), named `<prefix>_<random>`; `drop` removes it. */
export async function createScratchMysqlDatabase(serverUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = await createConnection({ uri: serverUrl });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const connection = await createConnection({ uri: serverUrl });
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    },
  };
}
export { startSimulatorProcess, type SimulatorProcess } from './simulator-process.ts';
export { launch, type Exit, type LaunchOptions, type NodeProgram, type ServiceProcess } from './node-service.ts';
