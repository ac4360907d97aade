/**
 * Failed-password limits per account and per client address, counted in the database so they
 * hold across restarts and API instances. An attempt is written BEFORE the password is checked
 * and counted after, so N parallel guesses see each other and at most the limit get through;
 * a right password removes its attempt again.
 */
import { AppError } from '../../errors.ts';
import type { DbHandle } from '../../db/database.ts';

export const ATTEMPT_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
/** Higher than per account: many people can share one address (campus, office, carrier NAT). */
export const MAX_FAILURES_PER_IP = 30;

/** Attempts admitted up to and including this one: the earliest within the limit go ahead, so a
 * burst of parallel sign-ins is cut at the limit instead of every one of them seeing the others. */
async function countSince(db: DbHandle, column: 'account_key' | 'ip', value: string, since: number, upToId: number) {
  const row = await db
    .selectFrom('password_attempts')
    .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min('at').as('first')])
    .where(column, '=', value)
    .where('at', '>', since)
    .where('id', '<=', upToId)
    .executeTakeFirstOrThrow();
  return { count: Number(row.n), first: row.first === null ? null : Number(row.first) };
}

/** Records an attempt and returns its id, or throws TOO_MANY_ATTEMPTS (with the wait) and
 * records nothing, so a locked-out client does not extend its own lock. */
export async function admitAttempt(db: DbHandle, accountKey: string, ip: string, now: number): Promise<number> {
  const inserted = await db.insertInto('password_attempts').values({ account_key: accountKey, ip, at: now }).executeTakeFirstOrThrow();
  const id = Number(inserted.insertId);
  const since = now - ATTEMPT_WINDOW_MS;
  const [byAccount, byIp] = await Promise.all([countSince(db, 'account_key', accountKey, since, id), countSince(db, 'ip', ip, since, id)]);
  const locked = [
    byAccount.count > MAX_FAILURES_PER_ACCOUNT ? byAccount.first : null,
    byIp.count > MAX_FAILURES_PER_IP ? byIp.first : null,
  ].filter((first): first is number => first !== null);
  if (locked.length === 0) return id;
  await clearAttempt(db, id);
  const retryAt = Math.max(...locked) + ATTEMPT_WINDOW_MS;
  throw new AppError('TOO_MANY_ATTEMPTS', { retryAfterSeconds: Math.max(1, Math.ceil((retryAt - now) / 1000)) });
}

export async function clearAttempt(db: DbHandle, attemptId: number): Promise<void> {
  await db.deleteFrom('password_attempts').where('id', '=', attemptId).execute();
}
