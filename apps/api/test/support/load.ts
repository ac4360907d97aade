/**
 * Steady client traffic against an API over HTTP: workers that each keep one request in flight,
 * recording when every request started and ended and how it was answered.
 */
export interface Outcome {
  op: string;
  startedAt: number;
  endedAt: number;
  /** HTTP status; 0 when the connection failed or was refused; -1 when no answer came in time. */
  status: number;
  reason: string;
  /** For registrations: the account that was asked for. */
  account?: string;
}

export interface Load {
  outcomes: Outcome[];
  stop(): Promise<void>;
}

export type Operation = (worker: number, n: number) => { op: string; path: string; body?: unknown; token?: string; account?: string };

/** No request may take longer than this: longer is a hang. */
export const HANG_MS = 15_000;

export async function request(base: string, path: string, body?: unknown, token?: string): Promise<{ status: number; reason: string }> {
  // Each request as from a client of its own (believed only by an API started with TRUST_PROXY),
  // as the per-address limits expect of real traffic: the load is many people, not one address.
  const headers: Record<string, string> = {
    'x-forwarded-for': `198.18.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`,
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const init: RequestInit =
    body === undefined
      ? { headers }
      : { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
  try {
    const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(HANG_MS) });
    const text = await response.text();
    let reason = 'ok';
    try {
      const json = JSON.parse(text) as { error?: { data?: { reason?: string } }; db?: string };
      reason = json.error?.data?.reason ?? (response.ok ? 'ok' : `http ${response.status}`);
    } catch {
      reason = `non-JSON ${response.status}`;
    }
    return { status: response.status, reason };
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    return { status: timedOut ? -1 : 0, reason: timedOut ? 'hang' : `network: ${(error as Error).message}` };
  }
}

export function startLoad(base: string, workers: number, operation: Operation): Load {
  const outcomes: Outcome[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let n = 0; running; n++) {
      const call = operation(worker, n);
      const startedAt = performance.now();
      const { status, reason } = await request(base, call.path, call.body, call.token);
      outcomes.push({ op: call.op, startedAt, endedAt: performance.now(), status, reason, account: call.account });
      // A refused connection answers at once: do not spin.
      if (status === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; resolves to the time it took. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
  return performance.now() - started;
}
