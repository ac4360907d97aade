/**
 * Expired states, tickets, sessions and old password attempts are swept on a timer, off the
 * request path, so the tables stay short and every request does only its own row work.
 */
import type { Logger } from 'pino';
import type { Db } from './db/database.ts';
import { ATTEMPT_WINDOW_MS } from './modules/passwords/password-limiter.ts';

const SWEEP_EVERY_MS = 60_000;

export async function sweepExpired(db: Db, now: number): Promise<void> {
  await db.deleteFrom('oauth_states').where('expires_at', '<=', now).execute();
  await db.deleteFrom('bind_tickets').where('expires_at', '<=', now).execute();
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
  await db.deleteFrom('password_attempts').where('at', '<=', now - ATTEMPT_WINDOW_MS).execute();
}

export function startSweeper(db: Db, now: () => number, log: Logger): () => void {
  const timer = setInterval(() => {
    sweepExpired(db, now()).catch((error: unknown) => log.warn({ err: error }, 'sweep of expired rows failed'));
  }, SWEEP_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
