/**
 * Prometheus metrics (CONTRACT §4, 2e), with prom-client: what the login service did and how
 * Weibo answered, for an operator's dashboards and alerts (docs/operations.md). Every label value
 * comes from a closed list — procedures, reasons, Weibo endpoints and a known set of Weibo error
 * codes — never a uid, an account or an address, so the series stay few whatever the traffic.
 * Without METRICS_PORT nothing is recorded (NO_METRICS): the login path pays nothing.
 */
import { ERROR_REASON_LIST, type ErrorReason } from '@weibo-login/shared';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { conflictRetries } from '../db/conflicts.ts';

export const WEIBO_ENDPOINTS = ['access_token', 'users_show', 'get_token_info', 'revokeoauth2'] as const;
export type WeiboEndpoint = (typeof WEIBO_ENDPOINTS)[number];
/** A call's outcome: `error_<code>` for Weibo's error codes of the closed list, `error_other` for the rest. */
export type WeiboCallOutcome = 'ok' | 'timeout' | 'network' | 'bad_answer' | `error_${number}` | 'error_other';
export const PASSWORD_CHECK_RESULTS = ['ok', 'wrong', 'refused', 'busy'] as const;
export type PasswordCheckResult = (typeof PASSWORD_CHECK_RESULTS)[number];

/** Weibo's error codes that get a series of their own (reference/weibo-api.md §6): the others are
 * `error_other`, so a Weibo that invents codes cannot grow the series without bound. */
const KNOWN_WEIBO_CODES = new Set([
  10001, 10002, 10006, 10008, 10014, 10016, 10017, 10020, 10021, 10022, 10023, 10024, 21301, 21305, 21314, 21315, 21316, 21317, 21319,
  21320, 21321, 21322, 21323, 21324, 21325, 21326, 21327, 21328, 21329, 21330, 21331, 21332, 21335, 21337, 21338,
]);
export const weiboErrorOutcome = (code: number): WeiboCallOutcome => (KNOWN_WEIBO_CODES.has(code) ? `error_${code}` : 'error_other');

export interface Metrics {
  /** A procedure's call ended: `ok` or its reason. */
  request(procedure: string, result: 'ok' | ErrorReason): void;
  weiboCall(endpoint: WeiboEndpoint, outcome: WeiboCallOutcome, seconds: number): void;
  passwordCheck(result: PasswordCheckResult): void;
  sessionIssued(method: 'password' | 'weibo'): void;
  /** The registry to scrape; null when nothing is recorded. */
  readonly registry: Registry | null;
}

export const NO_METRICS: Metrics = {
  request: () => {},
  weiboCall: () => {},
  passwordCheck: () => {},
  sessionIssued: () => {},
  registry: null,
};

export interface MetricSources {
  /** The procedures there are (the router's): any other path is counted as `unknown`. */
  procedures: readonly string[];
  /** Jobs waiting for a bcrypt thread. */
  passwordQueue(): number;
  /** MySQL's pool: connections in use and requests waiting for one (null on SQLite). */
  databasePool(): { inUse: number; waiting: number } | null;
}

/** Weibo answers in tens of ms; a timeout is WEIBO_TIMEOUT_MS (5 s by default). */
const WEIBO_DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'weibo_login_requests_total',
    help: 'tRPC procedure calls, by procedure and result (ok or the error reason)',
    labelNames: ['procedure', 'result'],
    registers: [registry],
  });
  const weiboCalls = new Counter({
    name: 'weibo_login_weibo_calls_total',
    help: 'Calls to Weibo, by endpoint and outcome (ok, timeout, network, bad_answer, error_<code>)',
    labelNames: ['endpoint', 'outcome'],
    registers: [registry],
  });
  const weiboDuration = new Histogram({
    name: 'weibo_login_weibo_call_duration_seconds',
    help: 'How long calls to Weibo took, by endpoint',
    labelNames: ['endpoint'],
    buckets: WEIBO_DURATION_BUCKETS,
    registers: [registry],
  });
  const passwordChecks = new Counter({
    name: 'weibo_login_password_checks_total',
    help: 'Password checks, by result (ok, wrong, refused by the lock-out, busy)',
    labelNames: ['result'],
    registers: [registry],
  });
  const sessions = new Counter({
    name: 'weibo_login_sessions_issued_total',
    help: 'Sessions issued, by how they signed in',
    labelNames: ['method'],
    registers: [registry],
  });
  let conflictRetriesReported = 0;
  new Counter({
    name: 'weibo_login_db_conflict_retries_total',
    help: 'Transactions and writes run again after losing a conflict at commit (a deadlock, or Galera certification)',
    registers: [registry],
    collect() {
      this.inc(conflictRetries.total - conflictRetriesReported);
      conflictRetriesReported = conflictRetries.total;
    },
  });
  new Gauge({
    name: 'weibo_login_password_queue',
    help: 'Password checks and hashes waiting for a bcrypt thread',
    registers: [registry],
    collect() {
      this.set(sources.passwordQueue());
    },
  });
  new Gauge({
    name: 'weibo_login_db_pool_connections',
    help: 'MySQL pool connections in use, and requests waiting for one',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const pool = sources.databasePool();
      if (!pool) return;
      this.set({ state: 'in_use' }, pool.inUse);
      this.set({ state: 'waiting' }, pool.waiting);
    },
  });

  // Label children made once per value: an inc is then a property bump, not a label lookup.
  const procedures = new Set(sources.procedures);
  const requestChildren = new Map<string, Counter.Internal>();
  for (const procedure of [...procedures, 'unknown']) {
    for (const result of ['ok', ...ERROR_REASON_LIST]) requestChildren.set(`${procedure} ${result}`, requests.labels(procedure, result));
  }
  const passwordChildren = new Map(PASSWORD_CHECK_RESULTS.map((result) => [result, passwordChecks.labels(result)]));
  const durationChildren = new Map(WEIBO_ENDPOINTS.map((endpoint) => [endpoint, weiboDuration.labels(endpoint)]));

  return {
    request(procedure, result) {
      requestChildren.get(`${procedures.has(procedure) ? procedure : 'unknown'} ${result}`)?.inc();
    },
    weiboCall(endpoint, outcome, seconds) {
      weiboCalls.labels(endpoint, outcome).inc();
      durationChildren.get(endpoint)!.observe(seconds);
    },
    passwordCheck: (result) => passwordChildren.get(result)!.inc(),
    sessionIssued: (method) => sessions.labels(method).inc(),
    registry,
  };
}
