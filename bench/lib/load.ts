/**
 * The load generator: a fixed list of prepared requests sent at a fixed concurrency over a
 * keep-alive pool (one connection per concurrent client), each latency recorded. Everything a
 * request needs (state, cookie, code) is prepared before the clock starts.
 */
import { Pool } from 'undici';
import { percentile } from './stats.ts';

export interface PreparedRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  requests: number;
  failures: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
}

/** Connections are opened before timing, so the first requests do not pay for the handshake. */
export async function openPool(origin: string, connections: number): Promise<Pool> {
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const response = await pool.request({ method: 'GET', path: '/__bench_warm_connection' });
      await response.body.dump();
    }),
  );
  return pool;
}

/**
 * Sends every request once, `concurrency` at a time. A request counts as failed when its status
 * is not 200 or `expect` is not in the body; the first failure's body is kept for the report.
 */
export async function runLoad(
  pool: Pool,
  requests: PreparedRequest[],
  concurrency: number,
  expect: string,
): Promise<LoadResult & { firstFailure?: string }> {
  const latencies = new Float64Array(requests.length);
  let next = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const client = async () => {
    while (next < requests.length) {
      const index = next++;
      const { method, path, headers, body } = requests[index]!;
      const started = performance.now();
      try {
        const response = await pool.request({ method, path, headers, body });
        const text = await response.body.text();
        if (response.statusCode !== 200 || !text.includes(expect)) {
          failures++;
          firstFailure ??= `${response.statusCode} ${text.slice(0, 300)}`;
        }
      } catch (error) {
        failures++;
        firstFailure ??= String(error);
      }
      latencies[index] = performance.now() - started;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, client));
  const elapsedMs = performance.now() - started;
  latencies.sort();
  return {
    requests: requests.length,
    failures,
    perSecond: (requests.length / elapsedMs) * 1000,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    ...(firstFailure === undefined ? {} : { firstFailure }),
  };
}
