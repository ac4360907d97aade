/**
 * API_WORKERS (CONTRACT §2, 2e): the workers of one instance keep its in-memory rates together,
 * as one process would. The counters (limits/rate-limits.ts) live in the primary; a worker asks it
 * over the cluster's channel before the work, and tells it when a Weibo call in flight ends.
 *
 * Why not a share of each rate per worker: the kernel hands a connection to one worker for its
 * whole life, so one browser (or a reverse proxy's few upstream connections) meets one worker,
 * and with half of each rate there, abuse.stress.ts saw real people's Weibo sign-ins refused
 * (58–75 % succeeded) while the other half went unused. And with each worker counting the whole,
 * an attacker on many connections made 20 accounts from one address where 10 are allowed, and 360
 * Weibo calls of a budget of 300. Asking the primary costs a round trip: measured in a loop,
 * 5 µs of the worker's CPU and 7 µs of the primary's per ask (two asks a Weibo login: the
 * admission and the end of its calls), against ~850 µs a login; under load, where every message
 * also wakes the other process, the messages of one turn go together (`together`).
 */
import { AppError, type AppErrorDetails } from '../errors.ts';
import type { ErrorReason } from '@weibo-login/shared';
import { WORK_LIMITS_REPLY_MS } from './bounds.ts';
import type { WorkLimits } from './rate-limits.ts';

/** What carries messages between a worker and the primary: `process` in a worker, the `Worker` in the primary. */
export interface Channel {
  /** `done` hears of a message that could not be sent (the channel closed): without it, Node
   * emits an 'error' that would stop the process. */
  send(message: object, done?: (error: Error | null) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

const TYPE = 'weibo-login:work-limits';

type Ask =
  | { op: 'refuseSpentRegistrations' | 'admitRegistration'; addressKey: string }
  | { op: 'admitWeiboCalls'; addressKey: string; calls: number }
  | { op: 'admitSiteWeiboCalls'; calls: number }
  | { op: 'admitRevocationCheck'; uid: string };
type Request = { type: typeof TYPE; id: number } & Ask;
/** Messages sent in one turn of the event loop, delivered together (`together`). */
type Batch = { type: typeof TYPE; batch: object[] };
type Release = { type: typeof TYPE; release: number };
type Reply =
  | { type: typeof TYPE; id: number; ok: true; admitted?: boolean; release?: number }
  | { type: typeof TYPE; id: number; ok: false; reason: ErrorReason; details: AppErrorDetails };

const ours = (message: unknown): message is Record<string, unknown> =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === TYPE;

/** A closed channel means the other end has gone: the primary hands back a dead worker's calls
 * when it exits, and a worker's asks end with SERVICE_UNAVAILABLE when unanswered. */
const ignoreClosed = () => undefined;

/**
 * One end of the channel whose messages leave together: those sent in one turn of the event loop
 * go at its end as one. Over Node's IPC each message is a write on a pipe and a wake-up of the
 * other process, and under load a worker sends several asks and releases a turn, the primary
 * several answers. Bound-user Weibo logins at concurrency 32 on SQLite with API_WORKERS=2, the
 * primary's CPU per login, four rounds each: 67–90 µs sending each message alone, 30–50 µs
 * batched (27 µs in `pnpm bench --only=workers`, which reports it), and ~4 % more logins/s.
 */
function together(channel: Channel): {
  send(message: object): void;
  onMessage(listener: (message: Record<string, unknown>) => void): void;
} {
  let queued: object[] = [];
  const flush = () => {
    const messages = queued;
    queued = [];
    channel.send(messages.length === 1 ? messages[0]! : ({ type: TYPE, batch: messages } satisfies Batch), ignoreClosed);
  };
  return {
    send(message) {
      if (queued.push(message) === 1) setImmediate(flush);
    },
    onMessage(listener) {
      channel.on('message', (message) => {
        if (!ours(message)) return;
        if (Array.isArray(message.batch)) for (const one of message.batch as Record<string, unknown>[]) listener(one);
        else listener(message);
      });
    },
  };
}

/**
 * The primary's side, one call per worker: answers the worker's asks from `limits` (the instance's
 * one set of counters). Returns what to call when the worker exits: the Weibo calls it still had
 * in flight end with it.
 */
export function answerWorkLimits(limits: WorkLimits, channel: Channel): () => void {
  const worker = together(channel);
  const inFlight = new Map<number, () => void>();
  let nextRelease = 0;
  worker.onMessage((message) => {
    if ('release' in message) {
      inFlight.get(message.release as number)?.();
      inFlight.delete(message.release as number);
      return;
    }
    const request = message as Request;
    const reply = (answer: Omit<Extract<Reply, { ok: true }>, 'type' | 'id' | 'ok'>) =>
      worker.send({ type: TYPE, id: request.id, ok: true, ...answer } satisfies Reply);
    answer(limits, request).then(
      (result) => {
        if (typeof result === 'function') {
          const release = ++nextRelease;
          inFlight.set(release, result);
          reply({ release });
        } else reply(typeof result === 'boolean' ? { admitted: result } : {});
      },
      (error: unknown) => {
        const refusal = error instanceof AppError ? error : new AppError('INTERNAL');
        worker.send({ type: TYPE, id: request.id, ok: false, reason: refusal.reason, details: refusal.details } satisfies Reply);
      },
    );
  });
  return () => {
    for (const release of inFlight.values()) release();
    inFlight.clear();
  };
}

async function answer(limits: WorkLimits, request: Request): Promise<void | boolean | (() => void)> {
  switch (request.op) {
    case 'refuseSpentRegistrations':
      return limits.refuseSpentRegistrations(request.addressKey);
    case 'admitRegistration':
      return limits.admitRegistration(request.addressKey);
    case 'admitWeiboCalls':
      return limits.admitWeiboCalls(request.addressKey, request.calls);
    case 'admitSiteWeiboCalls':
      return limits.admitSiteWeiboCalls(request.calls);
    case 'admitRevocationCheck':
      return limits.admitRevocationCheck(request.uid);
  }
}

/**
 * A worker's side: the WorkLimits of its instance, asked of the primary. A primary that does not
 * answer within WORK_LIMITS_REPLY_MS gets the request SERVICE_UNAVAILABLE (it is stopping, or
 * stuck); a grant that comes after that is handed back at once.
 */
export function workLimitsThroughPrimary(channel: Channel, replyMs: number = WORK_LIMITS_REPLY_MS): WorkLimits {
  const primary = together(channel);
  const waiting = new Map<number, { resolve(reply: Reply): void; timer: NodeJS.Timeout }>();
  let nextId = 0;
  primary.onMessage((message) => {
    if (typeof message.id !== 'number') return;
    const reply = message as Reply;
    const pending = waiting.get(reply.id);
    if (pending) {
      waiting.delete(reply.id);
      clearTimeout(pending.timer);
      pending.resolve(reply);
    } else if (reply.ok && reply.release !== undefined) {
      primary.send({ type: TYPE, release: reply.release } satisfies Release);
    }
  });

  const ask = (question: Ask): Promise<Extract<Reply, { ok: true }>> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new AppError('SERVICE_UNAVAILABLE', { retryAfterSeconds: 1 }));
      }, replyMs);
      waiting.set(id, {
        timer,
        resolve: (reply) => (reply.ok ? resolve(reply) : reject(new AppError(reply.reason, reply.details))),
      });
      primary.send({ type: TYPE, id, ...question } satisfies Request);
    });

  return {
    async refuseSpentRegistrations(addressKey) {
      await ask({ op: 'refuseSpentRegistrations', addressKey });
    },
    async admitRegistration(addressKey) {
      await ask({ op: 'admitRegistration', addressKey });
    },
    async admitWeiboCalls(addressKey, calls) {
      const { release } = await ask({ op: 'admitWeiboCalls', addressKey, calls });
      let released = false;
      return () => {
        if (released || release === undefined) return;
        released = true;
        primary.send({ type: TYPE, release } satisfies Release);
      };
    },
    async admitSiteWeiboCalls(calls) {
      return (await ask({ op: 'admitSiteWeiboCalls', calls })).admitted === true;
    },
    async admitRevocationCheck(uid) {
      return (await ask({ op: 'admitRevocationCheck', uid })).admitted === true;
    },
  };
}
