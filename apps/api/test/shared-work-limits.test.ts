/**
 * API_WORKERS: the in-memory rates of one instance counted once, in its primary, for all its
 * workers (src/limits/shared-work-limits.ts). The two sides talk here over an in-memory channel
 * that copies each message as Node's IPC does and delivers it on a later turn; the same code runs
 * over the cluster's channel in reliability/workers.stress.ts and in CI's API_WORKERS=2 run of
 * the abuse suite.
 */
import { spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../src/errors.ts';
import { REGISTRATIONS_PER_ADDRESS, WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS, WORK_LIMITS_REPLY_MS } from '../src/limits/bounds.ts';
import { createWorkLimits } from '../src/limits/rate-limits.ts';
import { answerWorkLimits, type Channel, workLimitsThroughPrimary } from '../src/limits/shared-work-limits.ts';

/** Two ends of a channel; `delayMs` holds back what reaches the worker's end. `sent` counts the
 * messages each end put on the channel (each is a write on Node's IPC pipe). */
function channelPair(delayMs = 0): { primaryEnd: Channel; workerEnd: Channel; sent: { byPrimary: number; byWorker: number } } {
  const atPrimary = new EventEmitter();
  const atWorker = new EventEmitter();
  const sent = { byPrimary: 0, byWorker: 0 };
  const deliver = (to: EventEmitter, message: object, delay: number) => {
    const copy: unknown = JSON.parse(JSON.stringify(message));
    setTimeout(() => to.emit('message', copy), delay);
  };
  return {
    primaryEnd: {
      send: (message) => deliver(atWorker, message, (sent.byPrimary++, delayMs)),
      on: (event, listener) => atPrimary.on(event, listener),
    },
    workerEnd: {
      send: (message) => deliver(atPrimary, message, (sent.byWorker++, 0)),
      on: (event, listener) => atWorker.on(event, listener),
    },
    sent,
  };
}

/** A primary with a worker for each entry of `workers` (its channel's delay towards the worker,
 * and how long it waits for an answer), each over a channel of its own. */
function instance(workers: { delayMs?: number; replyMs?: number }[], weiboCallsPerMinute = 600) {
  const counters = createWorkLimits({ weiboCallsPerMinute });
  return workers.map(({ delayMs, replyMs }) => {
    const { primaryEnd, workerEnd } = channelPair(delayMs);
    const exited = answerWorkLimits(counters, primaryEnd);
    return { limits: workLimitsThroughPrimary(workerEnd, replyMs), exited };
  });
}

const reasonOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: unknown) => (error instanceof AppError ? error.reason : String(error)),
  );

describe('the rates of an instance, kept by its primary for its workers', () => {
  afterEach(() => vi.useRealTimers());

  // Without it: with each worker counting for itself (createWorkLimits in each), the address makes 20.
  it('lets one address make REGISTRATIONS_PER_ADDRESS accounts through two workers together, then TOO_MANY_ATTEMPTS with a wait', async () => {
    const [one, two] = instance([{}, {}]);
    const outcomes: string[] = [];
    for (let i = 0; i < 2 * REGISTRATIONS_PER_ADDRESS.points; i++)
      outcomes.push(await reasonOf((i % 2 === 0 ? one! : two!).limits.admitRegistration('198.51.100.7')));
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(REGISTRATIONS_PER_ADDRESS.points);
    const refusal = await two!.limits.admitRegistration('198.51.100.7').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(AppError);
    expect((refusal as AppError).details).toMatchObject({ limit: 'rate' });
    expect((refusal as AppError).details.retryAfterSeconds).toBeGreaterThan(0);
    expect(await reasonOf(one!.limits.refuseSpentRegistrations('198.51.100.7'))).toBe('TOO_MANY_ATTEMPTS');
    expect(await reasonOf(one!.limits.admitRegistration('198.51.100.8'))).toBe('ok');
  });

  // Without it: with the release message or the worker's exit not ending the calls, the address stays refused.
  it('counts an address’s Weibo calls in flight across the workers; they end when released, or with their worker', async () => {
    const [one, two] = instance([{}, {}]);
    const address = '203.0.113.9';
    const half = WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS / 2;
    const releases = [];
    for (let i = 0; i < half; i++) releases.push(await one!.limits.admitWeiboCalls(address, 2));
    for (let i = 0; i < half; i++) releases.push(await two!.limits.admitWeiboCalls(address, 2));
    expect(await reasonOf(two!.limits.admitWeiboCalls(address, 2))).toBe('TOO_MANY_ATTEMPTS');
    releases.at(-1)!();
    releases.at(-1)!(); // twice is once
    await vi.waitFor(async () => expect(await reasonOf(two!.limits.admitWeiboCalls(address, 2))).toBe('ok'));
    expect(await reasonOf(two!.limits.admitWeiboCalls(address, 2))).toBe('TOO_MANY_ATTEMPTS');
    one!.exited();
    for (let i = 0; i < half; i++) expect(await reasonOf(two!.limits.admitWeiboCalls(address, 2))).toBe('ok');
  });

  // Without it: with each worker counting for itself, the two spend 2 × the budget.
  it('holds the workers together to the Weibo budget, hints’ checks included', async () => {
    const [one, two] = instance([{}, {}], 10);
    const admitted = [];
    for (let i = 0; i < 6; i++) admitted.push(await (i % 2 ? one! : two!).limits.admitSiteWeiboCalls(2));
    expect(admitted).toEqual([true, true, true, true, true, false]);
    expect(await reasonOf(one!.limits.admitWeiboCalls('198.51.100.20', 2))).toBe('TOO_MANY_ATTEMPTS');
  });

  // Without it: with each worker keeping its own record of the uids checked, the uid is checked twice.
  it('admits one check of a hinted uid per REVOCATION_RECHECK_MS for both workers together', async () => {
    const [one, two] = instance([{}, {}]);
    expect(await one!.limits.admitRevocationCheck('1234567890')).toBe(true);
    expect(await two!.limits.admitRevocationCheck('1234567890')).toBe(false);
    expect(await one!.limits.admitRevocationCheck('1234567890')).toBe(false);
    expect(await two!.limits.admitRevocationCheck('1234567891')).toBe(true);
  });

  // Without it: with each message sent on its own (no batching in shared-work-limits.ts), 8 and 8.
  it('sends what one turn of the event loop asks, and its answers, as one message each way', async () => {
    const { primaryEnd, workerEnd, sent } = channelPair();
    answerWorkLimits(createWorkLimits({ weiboCallsPerMinute: 600 }), primaryEnd);
    const limits = workLimitsThroughPrimary(workerEnd);
    const asked = Array.from({ length: 8 }, (_, i) => reasonOf(limits.admitRegistration(`198.51.100.${50 + i}`)));
    expect(await Promise.all(asked)).toEqual(Array(8).fill('ok'));
    expect(sent).toEqual({ byPrimary: 1, byWorker: 1 });
  });

  // Without it: with the answer sent without a callback, Node emits 'error' on the dead worker's
  // process and the primary stops on it (vitest reports the unhandled error).
  it('answers an ask of a worker that died meanwhile without stopping the primary', async () => {
    const worker = spawn(process.execPath, ['-e', ''], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    await once(worker, 'exit');
    expect(worker.connected).toBe(false);
    answerWorkLimits(createWorkLimits({ weiboCallsPerMinute: 600 }), worker);
    // An ask that came before it died, answered after: the answer has no channel left.
    worker.emit('message', { type: 'weibo-login:work-limits', id: 1, op: 'admitRegistration', addressKey: '198.51.100.90' });
    // The answer leaves at the end of this turn; Node's 'error' would come on the next tick.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  // Without it: with the timer taken out of workLimitsThroughPrimary, the request waits for ever.
  it(`answers SERVICE_UNAVAILABLE when the primary is silent for WORK_LIMITS_REPLY_MS (${WORK_LIMITS_REPLY_MS} ms)`, async () => {
    vi.useFakeTimers();
    const silent: Channel = { send: () => true, on: () => undefined };
    let outcome = 'waiting';
    void reasonOf(workLimitsThroughPrimary(silent).admitRegistration('198.51.100.30')).then((reason) => (outcome = reason));
    await vi.advanceTimersByTimeAsync(WORK_LIMITS_REPLY_MS - 1);
    expect(outcome).toBe('waiting');
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toBe('SERVICE_UNAVAILABLE');
  });

  // Without it: with late grants ignored, the address's calls stay counted in flight for good.
  it('hands back a grant that arrives after the worker gave up waiting', async () => {
    const [slow, fast] = instance([{ delayMs: 60, replyMs: 20 }, {}]);
    const address = '203.0.113.40';
    for (let i = 0; i < WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS; i++)
      expect(await reasonOf(slow!.limits.admitWeiboCalls(address, 1))).toBe('SERVICE_UNAVAILABLE');
    // The primary granted each after all; as the grants reach the worker, it hands them back, and
    // the address has its four calls again.
    let admitted = 0;
    await vi.waitFor(async () => {
      while (admitted < WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS && (await reasonOf(fast!.limits.admitWeiboCalls(address, 1))) === 'ok')
        admitted++;
      expect(admitted).toBe(WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS);
    });
    expect(await reasonOf(fast!.limits.admitWeiboCalls(address, 1))).toBe('TOO_MANY_ATTEMPTS');
  });
});
