/** db/conflicts.ts on its own: a lost conflict is run again, a bounded number of times, and one
 * lost every time is a clear SERVICE_UNAVAILABLE, never the driver's error (a 500). */
import { describe, expect, it } from 'vitest';
import { retryingConflicts } from '../src/db/conflicts.ts';
import { AppError } from '../src/errors.ts';
import { CONFLICT_ATTEMPTS } from '../src/limits/bounds.ts';

const deadlock = () => Object.assign(new Error('Deadlock found when trying to get lock'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 });

describe('retryingConflicts', () => {
  it('runs a lost conflict again and returns what the next try gives', async () => {
    let tries = 0;
    expect(
      await retryingConflicts(async () => {
        if (++tries < 3) throw deadlock();
        return 'done';
      }),
    ).toBe('done');
    expect(tries).toBe(3);
  });

  // Without it: with the AppError taken out of retryingConflicts, the driver's 1213 is thrown (a 500).
  it(`gives up after CONFLICT_ATTEMPTS (${CONFLICT_ATTEMPTS}) lost tries with SERVICE_UNAVAILABLE and a retry time`, async () => {
    let tries = 0;
    const error = await retryingConflicts(async () => {
      tries++;
      throw deadlock();
    }).catch((caught: unknown) => caught);
    expect(tries).toBe(CONFLICT_ATTEMPTS);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).reason).toBe('SERVICE_UNAVAILABLE');
    expect((error as AppError).details.retryAfterSeconds).toBe(1);
    expect((error as AppError).cause).toMatchObject({ errno: 1213 });
  });

  it('does not run other errors again', async () => {
    let tries = 0;
    const error = await retryingConflicts(async () => {
      tries++;
      throw Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY', errno: 1062 });
    }).catch((caught: unknown) => caught);
    expect(tries).toBe(1);
    expect(error).toMatchObject({ errno: 1062 });
  });
});
