/**
 * The Galera suites' world: the test's own 3-node cluster (galera.ts), a Weibo simulator, one
 * database created through node 1, and API processes each talking to a node of its choosing,
 * behind a trusted proxy on loopback so each simulated client has an address of its own. Every
 * HTTP answer the suite gets through `call` or a `browser` is recorded, so the suite can assert
 * that nothing anywhere was a 500.
 */
import { expect } from 'vitest';
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import { createConnection } from 'mysql2/promise';
import { freePort } from '@weibo-login/test-support';
import { type ApiProcess, apiEnv, spawnApi } from './api-process.ts';
import { createGaleraCluster, type GaleraCluster } from './galera.ts';
import { REDIRECT_URI, startSimulator } from './harness.ts';
import { Browser, type CallOptions, type CallResult, call } from './http.ts';
import { type Load, request, startLoad } from './load.ts';

export interface Answer {
  instance: string;
  path: string;
  status: number;
  reason: string;
  /** error.message of a 5xx: what the product said when it failed. */
  message?: string;
}

export const PASSWORD = 'galera-password-1';
const TRAFFIC_ROWS = 2000;
/** Behind the trusted proxy: the client address the request stands for. */
export const from = (ip: string): CallOptions => ({ headers: { 'x-forwarded-for': ip } });

export class GaleraWorld {
  readonly answers: Answer[] = [];
  readonly apis: ApiProcess[] = [];
  private n = 0;
  /** Each instance's node, and metrics port, by its URL. */
  private readonly nodes = new Map<string, number>();
  private readonly metricsPorts = new Map<string, number>();
  readonly cluster: GaleraCluster;
  readonly sim: WeiboSimulator;
  readonly database: string;
  constructor(cluster: GaleraCluster, sim: WeiboSimulator, database: string) {
    this.cluster = cluster;
    this.sim = sim;
    this.database = database;
  }

  /** The environment of an instance on `node`; `extra` adds to it. */
  env(node: number, extra: Record<string, string> = {}, database = this.database): Record<string, string> {
    return apiEnv(this.sim.url, {
      DATABASE_URL: this.cluster.url(node, database),
      BCRYPT_COST: '10',
      LOG_LEVEL: 'warn',
      TRUST_PROXY: '127.0.0.1',
      ...extra,
    });
  }

  /** Starts one instance per node given, all at the same moment, each with a metrics port. */
  async startApis(nodes: number[], extra: Record<string, string> = {}): Promise<ApiProcess[]> {
    const ports = await Promise.all(nodes.map(() => freePort()));
    const started = await Promise.all(nodes.map((node, i) => spawnApi(this.env(node, { METRICS_PORT: String(ports[i]), ...extra }))));
    started.forEach((api, i) => {
      this.nodes.set(api.url, nodes[i]!);
      this.metricsPorts.set(api.url, ports[i]!);
    });
    this.apis.push(...started);
    return started;
  }

  /** One instance per node, the first migrating before the others start (concurrent starts are
   * galera-migrate's subject), each with an account `${seed}_${i}` registered through it. */
  async startSeededApis(seed: string): Promise<ApiProcess[]> {
    const apis = [...(await this.startApis([0])), ...(await this.startApis([1, 2]))];
    for (const [i, api] of apis.entries())
      expect((await request(api.url, '/trpc/auth.register', { account: `${seed}_${i}`, password: PASSWORD })).status).toBe(200);
    return apis;
  }

  /** An instance started by the test itself, on `node` (-1: not on the cluster). */
  adopt(api: ApiProcess, node: number, metricsPort?: number): ApiProcess {
    this.nodes.set(api.url, node);
    if (metricsPort !== undefined) this.metricsPorts.set(api.url, metricsPort);
    this.apis.push(api);
    return api;
  }

  /** Stops an instance the suite is done with (SIGTERM; exit 0 expected), so it is no crash. */
  async retire(api: ApiProcess): Promise<void> {
    this.apis.splice(this.apis.indexOf(api), 1);
    const exit = await api.stop();
    if (exit.code !== 0) throw new Error(`${api.url} stopped with ${JSON.stringify(exit)}:\n${api.output().slice(-2000)}`);
  }

  /** Which instance a URL is, for the record: 'api2@node2'. */
  nameOf(base: string): string {
    const i = this.apis.findIndex((api) => api.url === base);
    const node = this.nodes.get(base) ?? -1;
    return i < 0 ? base : `api${i + 1}@${node < 0 ? 'elsewhere' : `node${node + 1}`}`;
  }

  record(base: string, path: string, result: CallResult): void {
    this.answers.push({
      instance: this.nameOf(base),
      path,
      status: result.status,
      reason: result.reason,
      ...(result.status >= 500 ? { message: result.body.error?.message } : {}),
    });
  }

  async call<T = unknown>(api: ApiProcess, path: string, input?: unknown, options: CallOptions = {}): Promise<CallResult<T>> {
    const result = await call<T>(api.url, path, input, options);
    this.record(api.url, path, result);
    return result;
  }

  /** One browser (cookie jar) that may talk to any instance: `.at(api)` is the same jar elsewhere. */
  browser(first: ApiProcess, headers: Record<string, string> = {}): RecordedBrowser {
    return new RecordedBrowser(this, first.url, headers);
  }

  newUid = async (): Promise<string> => (await this.sim.control.createUser({ screenName: '集群用户' })).uid;
  mint = (uid: string): Promise<string> => this.sim.control.mintCode({ uid, redirectUri: REDIRECT_URI });
  name = (prefix: string): string => `${prefix}_${Date.now().toString(36)}_${this.n++}`;

  /** A query on one node, straight to MySQL (not through the API). */
  async sql<T>(node: number, text: string, params: unknown[] = [], database = this.database): Promise<T[]> {
    const connection = await createConnection({ uri: this.cluster.url(node, database), connectTimeout: 3000 });
    try {
      // Causal read: the node first applies everything the cluster committed before this read.
      await connection.query('SET SESSION wsrep_sync_wait = 1');
      const [rows] = await connection.query(text, params);
      return rows as T[];
    } finally {
      await connection.end();
    }
  }

  /**
   * Other people's writes, through `node`: batches of TRAFFIC_ROWS rows inserted and deleted in a
   * database of their own, without pause. Every node applies them in order, so a commit made
   * through one node reaches the others' tables a little later, as on any cluster in use. (Measured
   * here: right after a commit through node 2, a read through node 3 missed it 0 times in 50 on
   * an idle cluster and about 25 in 50 with this traffic.) Resolves to a stop that says how many
   * batches were written.
   */
  async otherTraffic(node = 0): Promise<() => Promise<number>> {
    if ((await this.sql(node, "SHOW DATABASES LIKE 'galera_traffic'")).length === 0) {
      await this.cluster.createDatabase('galera_traffic');
      await this.sql(node, 'CREATE TABLE filler (id INT AUTO_INCREMENT PRIMARY KEY, pad VARCHAR(200))', [], 'galera_traffic');
    }
    const connection = await createConnection({ uri: this.cluster.url(node, 'galera_traffic') });
    let running = true;
    let batches = 0;
    let failure: unknown = null;
    const loop = (async () => {
      while (running) {
        await connection.query(`INSERT INTO filler (pad) SELECT REPEAT('x', 200) FROM seq_1_to_${TRAFFIC_ROWS}`);
        await connection.query('DELETE FROM filler');
        batches++;
      }
    })().catch((error: unknown) => void (failure = error));
    return async () => {
      running = false;
      await loop;
      await connection.end().catch(() => undefined);
      if (failure) throw failure;
      return batches;
    };
  }

  /** Conflicts the nodes settled: certification failures and brute-force aborts, summed. */
  async conflictCounters(): Promise<Record<string, number>> {
    const counters: Record<string, number> = {};
    for (let node = 0; node < this.cluster.size; node++) {
      if (!this.cluster.running(node)) continue;
      const rows = await this.sql<{ Variable_name: string; Value: string }>(
        node,
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures','wsrep_local_bf_aborts')",
      );
      for (const row of rows) counters[row.Variable_name] = (counters[row.Variable_name] ?? 0) + Number(row.Value);
    }
    return counters;
  }

  /** weibo_login_db_conflict_retries_total of each running instance started by startApis (absent: -1). */
  async conflictRetries(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const api of this.apis) {
      const port = this.metricsPorts.get(api.url);
      if (!port) continue;
      const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      const line = text.split('\n').find((l) => l.startsWith('weibo_login_db_conflict_retries_total'));
      counts[this.nameOf(api.url)] = line ? Number(line.split(' ').at(-1)) : -1;
    }
    return counts;
  }

  /** COUNT(*) of a query on one node. */
  async count(node: number, text: string, params: unknown[] = [], database = this.database): Promise<number> {
    const [row] = await this.sql<{ n: number }>(node, text.replace(/^SELECT \* /i, 'SELECT COUNT(*) AS n '), params, database);
    return Number(row!.n);
  }

  /** The recorded 5xx answers other than the clear 503 of a database that is away. */
  serverErrors(): Answer[] {
    return this.answers.filter((a) => a.status >= 500 && !(a.status === 503 && a.reason === 'SERVICE_UNAVAILABLE'));
  }

  /** Instances that exited while the suite still needed them (a crash), with their last words. */
  crashed(): string[] {
    return this.apis.flatMap((api) =>
      api.child.exitCode !== null || api.child.signalCode !== null
        ? [`${this.nameOf(api.url)} exited (${api.child.exitCode ?? api.child.signalCode}):\n${api.output().slice(-2500)}`]
        : [],
    );
  }

  /** Every instance's log lines about failures it did not expect (the cause of a 500), and crashes. */
  unexpectedLog(): string {
    return [
      ...this.crashed(),
      ...this.apis.map((api) =>
        api
          .output()
          .split('\n')
          .filter((line) => /unexpected error|"level":50|"level":60/.test(line))
          .map((line) => `${this.nameOf(api.url)}: ${briefly(line)}`)
          .join('\n'),
      ),
    ]
      .filter(Boolean)
      .join('\n')
      .slice(0, 6000);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.apis.map((api) => api.stop()));
    await this.sim.close();
    await this.cluster.dispose();
  }
}

export class RecordedBrowser extends Browser {
  private readonly world: GaleraWorld;
  constructor(world: GaleraWorld, base: string, headers: Record<string, string>) {
    super(base, headers);
    this.world = world;
  }

  override async call<T = unknown>(path: string, input?: unknown, options: CallOptions = {}): Promise<CallResult<T>> {
    const result = await super.call<T>(path, input, options);
    this.world.record(this.base, path, result);
    return result;
  }

  /** The same cookie jar, talking to another instance. */
  at(api: ApiProcess): RecordedBrowser {
    return Object.assign(Object.create(this) as RecordedBrowser, { base: api.url });
  }
}

/** The cluster, a simulator and an empty database `name` (replicated to every node). */
export async function createGaleraWorld(name: string): Promise<GaleraWorld> {
  const cluster = await createGaleraCluster();
  console.log(`galera: 3 nodes Synced in ${cluster.startedInMs} ms`);
  try {
    await cluster.createDatabase(name);
    return new GaleraWorld(cluster, await startSimulator(), name);
  } catch (error) {
    await cluster.dispose();
    throw error;
  }
}

/** A pino error line in short: its message, the driver's code and errno, and the product's frames. */
function briefly(line: string): string {
  try {
    const entry = JSON.parse(line) as { msg?: string; err?: { message?: string; code?: string; errno?: number; stack?: string } };
    const frames = (entry.err?.stack ?? '')
      .split('\n')
      .filter((frame) => frame.includes('/apps/api/src/'))
      .map((frame) => frame.trim().replace(/\(?\S*\/apps\/api\//, '('))
      .slice(0, 6);
    return `${entry.msg ?? ''}: ${entry.err?.message ?? ''} [${entry.err?.code ?? ''} ${entry.err?.errno ?? ''}] ${frames.join(' < ')}`;
  } catch {
    return line.slice(0, 600);
  }
}

/** Three clients on `api`, registering and signing in to the account each made first. */
export const passwordTraffic = (api: ApiProcess, tag: string): Load =>
  startLoad(api.url, 3, (worker, n) => {
    if (n % 3 === 2) return { op: 'login', path: '/trpc/auth.login', body: { account: `${tag}_${worker}_0`, password: PASSWORD } };
    const account = `${tag}_${worker}_${n}`;
    return { op: 'register', path: '/trpc/auth.register', body: { account, password: PASSWORD }, account };
  });

/** The HTTP status of a GET of `path` (a probe) on `api`. */
export const probe = async (api: ApiProcess, path: string): Promise<number> => (await request(api.url, path)).status;

export const tally = (reasons: string[]): Record<string, number> =>
  reasons.reduce<Record<string, number>>((counts, r) => ({ ...counts, [r]: (counts[r] ?? 0) + 1 }), {});
