/**
 * Weibo's cancel-authorization callback is unauthenticated: anyone can send it, for any uid, as
 * often as they like, and each genuine-looking hint costs a get_token_info call with a stored
 * token. So the route only enqueues (and answers at once, alike for known and unknown uids), and
 * this queue does the checks one at a time in the background: at most REVOCATION_QUEUE_MAX
 * waiting, each uid at most once per REVOCATION_RECHECK_MS.
 */
import type { Logger } from 'pino';
import { REVOCATION_QUEUE_MAX, REVOCATION_RECHECK_MS, REVOCATION_SEEN_MAX } from '../../limits/bounds.ts';

export interface RevocationHint {
  source: string;
  uid: string;
}

export interface RevocationQueue {
  /** Takes the hint if there is room and the uid was not checked lately; never waits. */
  enqueue(hint: RevocationHint): void;
  /** Resolves once every hint taken so far is checked (tests; a clean stop). */
  drained(): Promise<void>;
  readonly waiting: number;
}

export function createRevocationQueue(
  check: (hint: RevocationHint) => Promise<unknown>,
  log: Logger,
  now: () => number = Date.now,
): RevocationQueue {
  const waiting: RevocationHint[] = [];
  /** uid → when it was last taken; a Map keeps insertion order, so the oldest is first. */
  const seen = new Map<string, number>();
  let running: Promise<void> | null = null;

  async function runAll(): Promise<void> {
    for (let hint = waiting.shift(); hint; hint = waiting.shift()) {
      await check(hint).catch((error: unknown) => log.warn({ err: error }, 'weibo revocation hint check failed'));
    }
    running = null;
  }

  return {
    enqueue(hint) {
      const at = now();
      const last = seen.get(hint.uid);
      if (last !== undefined && at - last < REVOCATION_RECHECK_MS) return;
      if (waiting.length >= REVOCATION_QUEUE_MAX) return;
      seen.delete(hint.uid);
      seen.set(hint.uid, at);
      if (seen.size > REVOCATION_SEEN_MAX) seen.delete(seen.keys().next().value!);
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
