/**
 * Weibo's cancel-authorization callback is unauthenticated: anyone can send it, for any uid, as
 * often as they like, and each genuine-looking hint costs a get_token_info call with a stored
 * token. So the route only enqueues (and answers at once, alike for known and unknown uids), and
 * this queue does the checks one at a time in the background: at most REVOCATION_QUEUE_MAX
 * waiting, and each uid checked at most once per REVOCATION_RECHECK_MS by the whole instance
 * (`admit`: WorkLimits.admitRevocationCheck, kept by the primary for API_WORKERS).
 */
import type { Logger } from 'pino';
import { REVOCATION_QUEUE_MAX } from '../../limits/bounds.ts';

export interface RevocationHint {
  source: string;
  uid: string;
}

export interface RevocationQueue {
  /** Takes the hint if there is room; never waits. */
  enqueue(hint: RevocationHint): void;
  /** Resolves once every hint taken so far is checked (tests; a clean stop). */
  drained(): Promise<void>;
  readonly waiting: number;
}

export function createRevocationQueue(
  check: (hint: RevocationHint) => Promise<unknown>,
  admit: (uid: string) => Promise<boolean>,
  log: Logger,
): RevocationQueue {
  const waiting: RevocationHint[] = [];
  let running: Promise<void> | null = null;

  const checkIfAdmitted = async (hint: RevocationHint) => {
    if (await admit(hint.uid)) await check(hint);
  };

  async function runAll(): Promise<void> {
    for (let hint = waiting.shift(); hint; hint = waiting.shift()) {
      await checkIfAdmitted(hint).catch((error: unknown) => log.warn({ err: error }, 'weibo revocation hint check failed'));
    }
    running = null;
  }

  return {
    enqueue(hint) {
      if (waiting.length >= REVOCATION_QUEUE_MAX) return;
      waiting.push(hint);
      running ??= runAll();
    },
    async drained() {
      while (running) await running;
    },
    get waiting() {
      return waiting.length;
    },
  };
}
