/**
 * Account enumeration: an unknown account and a wrong password give the same answer (reason,
 * message, HTTP body), cost about the same time (medians, with bcrypt at the production default
 * cost so that skipping the hash would show), and lock out alike.
 * The same-reason check through createCaller is in auth.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import type { AppDeps } from '../../src/deps.ts';
import {
  ACCOUNT_SLOWDOWN_AFTER_FAILURES,
  ACCOUNT_SLOWDOWN_SPACING_MS,
  ATTEMPT_WINDOW_MS,
  MAX_FAILURES_PER_PAIR,
} from '../../src/limits/bounds.ts';
import { createBcryptHasher } from '../../src/modules/passwords/password-hasher.ts';
import { createContextInner } from '../../src/trpc/context.ts';
import { createCallerFactory } from '../../src/trpc/init.ts';
import { appRouter } from '../../src/trpc/router.ts';
import { describeOnEachDatabase, errorOf, reasonOf } from '../support/harness.ts';
import { call } from '../support/http.ts';
import { startInstance } from '../support/instances.ts';

/** CONTRACT §2's default BCRYPT_COST: about 85 ms a hash on the project's machines. */
const PRODUCTION_COST = 10;
const SAMPLES = 12;
const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

describeOnEachDatabase('enumeration', (h) => {
  let deps: AppDeps;
  let ipCounter = 0;
  beforeAll(async () => {
    // Every hash this suite stores is at the production cost, so the dummy for an unknown account
    // is too (hash-cost.ts; the harness's own hashes are at cost 4 and would set it otherwise).
    deps = {
      ...h.deps,
      hasher: await createBcryptHasher(PRODUCTION_COST),
      storedHashCost: { current: PRODUCTION_COST, refresh: async () => {} },
    };
  });
  /** A client at an address of its own, at production bcrypt cost, in `browserId` (none unless given). */
  const caller = (browserId: string | null = null) => {
    const request = {
      client: { ip: `198.18.${ipCounter >> 8}.${ipCounter & 255}`, userAgent: 'vitest' },
      addressKey: `198.18.${ipCounter >> 8}.${ipCounter++ & 255}`,
      browserId,
      signal: undefined,
    };
    return createCallerFactory(appRouter)(createContextInner(deps, { request, log: h.deps.log }));
  };

  async function timed(promise: Promise<unknown>): Promise<number> {
    const started = performance.now();
    expect(await reasonOf(promise)).toBe('BAD_CREDENTIALS');
    return performance.now() - started;
  }

  it('answers an unknown account and a wrong password in about the same time (medians)', async () => {
    const account = `timing_${randomBytes(3).toString('hex')}`;
    await caller().auth.register({ account, password: 'the real password' });
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      // Interleaved, so that any drift of the machine's speed hits both sides alike.
      wrong.push(await timed(caller().auth.login({ account, password: `wrong password ${i}` })));
      unknown.push(
        await timed(caller().auth.login({ account: `nobody_${randomBytes(4).toString('hex')}`, password: `wrong password ${i}` })),
      );
      // Stay under the lockout, which is tested on its own below.
      h.clock.advance(ATTEMPT_WINDOW_MS + 1);
    }
    const [w, u] = [median(wrong), median(unknown)];
    console.log(`enumeration on ${h.dialect}: auth.login medians, wrong password ${w.toFixed(1)} ms, unknown account ${u.toFixed(1)} ms`);
    // Without the dummy hash an unknown account would answer in a few ms against ~85 ms.
    expect(
      Math.min(w, u) / Math.max(w, u),
      `medians: wrong password ${w.toFixed(1)} ms, unknown account ${u.toFixed(1)} ms`,
    ).toBeGreaterThan(0.6);
  });

  it('costs a ticket holder the same time at weibo.bind for an unknown account and a wrong password', async () => {
    const account = `bindtiming_${randomBytes(3).toString('hex')}`;
    await caller().auth.register({ account, password: 'the real password' });
    const login = await h.weiboLogin(await h.newWeiboUser());
    if (login.status !== 'bind_required') throw new Error('expected bind_required');
    const wrong: number[] = [];
    const unknown: number[] = [];
    // One ticket lives 10 minutes, less than the lockout window: stay within the failures after
    // which the account is slowed down. The ticket is good only in the browser it came back to.
    for (let i = 0; i < ACCOUNT_SLOWDOWN_AFTER_FAILURES; i++) {
      wrong.push(await timed(caller(h.usualBrowser).weibo.bind({ ticket: login.ticket, account, password: `wrong password ${i}` })));
      unknown.push(
        await timed(
          caller(h.usualBrowser).weibo.bind({
            ticket: login.ticket,
            account: `nobody_${randomBytes(4).toString('hex')}`,
            password: 'wrong password',
          }),
        ),
      );
    }
    const [w, u] = [median(wrong), median(unknown)];
    expect(
      Math.min(w, u) / Math.max(w, u),
      `medians: wrong password ${w.toFixed(1)} ms, unknown account ${u.toFixed(1)} ms`,
    ).toBeGreaterThan(0.6);
    h.clock.advance(ATTEMPT_WINDOW_MS + 1);
  });

  it('locks an unknown account exactly as it locks a real one, pair and slow-down alike, so the lock tells nothing either', async () => {
    const real = await h.registerAccount();
    const ghost = `ghost_${randomBytes(4).toString('hex')}`;
    // The guesser's browser never signed in to anything: the same stranger to both accounts.
    const guesser = h.newBrowser();
    const refusals = async (account: string) => {
      // The pair: 5 wrong from one address.
      for (let i = 0; i < MAX_FAILURES_PER_PAIR; i++) {
        expect(
          await reasonOf(h.caller({ ip: '192.0.2.50', browserId: guesser }).auth.login({ account, password: `wrong password ${i}` })),
        ).toBe('BAD_CREDENTIALS');
      }
      const pair = await errorOf(h.caller({ ip: '192.0.2.50', browserId: guesser }).auth.login({ account, password: 'wrong password' }));
      // The slow-down: from any other address, the account's 5 failures make a stranger wait.
      const slowed = await errorOf(h.caller({ browserId: guesser }).auth.login({ account, password: 'wrong password' }));
      return [pair, slowed].map((e) => ({ reason: e.reason, details: e.details, message: e.message, code: e.code }));
    };
    const [lockedReal, lockedGhost] = [await refusals(real.account), await refusals(ghost)];
    expect(lockedReal.map((r) => [r.reason, r.details])).toEqual([
      ['TOO_MANY_ATTEMPTS', { retryAfterSeconds: ATTEMPT_WINDOW_MS / 1000, limit: 'failures' }],
      ['TOO_MANY_ATTEMPTS', { retryAfterSeconds: ACCOUNT_SLOWDOWN_SPACING_MS / 1000, limit: 'failures' }],
    ]);
    expect(lockedGhost).toEqual(lockedReal);
    h.clock.advance(ATTEMPT_WINDOW_MS + 1);
  });

  it('answers both with byte-identical HTTP error bodies and statuses', async () => {
    const instance = await startInstance({ kind: 'sqlite', file: ':memory:' }, h.sim.url);
    try {
      const account = `http_enum_${randomBytes(3).toString('hex')}`;
      await call(instance.url, 'auth.register', { account, password: 'the real password' });
      const wrong = await call(instance.url, 'auth.login', { account, password: 'wrong password' });
      const unknown = await call(instance.url, 'auth.login', {
        account: `nobody_${randomBytes(4).toString('hex')}`,
        password: 'wrong password',
      });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(wrong.status);
      expect(unknown.body).toEqual(wrong.body);
      expect(wrong.body.error!.data.reason).toBe('BAD_CREDENTIALS');
    } finally {
      await instance.stop();
    }
  });
});
