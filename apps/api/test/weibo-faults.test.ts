/**
 * The Weibo client against the running simulator's faults: every failure is WEIBO_UNAVAILABLE
 * within the timeout (plus a margin for a loaded machine), nothing is written, and the next
 * clean login works.
 */
import { FAULT_MODES, type FaultEndpoint, type FaultMode } from '@weibo-login/weibo-sim';
import { afterEach, expect, it } from 'vitest';
import { describeOnEachDatabase, reasonOf } from './support/harness.ts';

const TIMEOUT_MS = 600;
const MARGIN_MS = 2000;
const MODES = FAULT_MODES;

describeOnEachDatabase(
  'Weibo faults',
  (h) => {
    afterEach(async () => {
      await h.simControl.clearFaults();
    });

    const fault = (endpoint: FaultEndpoint, mode: FaultMode) =>
      h.simControl.addFault({ endpoint, mode, delayMs: TIMEOUT_MS * 3, times: 1 });

    async function rowsNow() {
      return {
        users: await h.count('users'),
        identities: await h.count('identities'),
        sessions: await h.count('sessions'),
        tickets: await h.count('bind_tickets'),
      };
    }

    it.each(MODES)('token exchange answering %s → WEIBO_UNAVAILABLE, nothing written, next login fine', async (mode) => {
      const uid = await h.newWeiboUser();
      const before = await rowsNow();
      await fault('access_token', mode);
      const started = performance.now();
      expect(await reasonOf(h.weiboLogin(uid))).toBe('WEIBO_UNAVAILABLE');
      expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      expect(await rowsNow()).toEqual(before);
      expect((await h.weiboLogin(uid)).status).toBe('bind_required');
    });

    it.each(MODES)('users/show answering %s → WEIBO_UNAVAILABLE for a new user, nothing written', async (mode) => {
      const uid = await h.newWeiboUser();
      const before = await rowsNow();
      await fault('users_show', mode);
      const started = performance.now();
      expect(await reasonOf(h.weiboLogin(uid))).toBe('WEIBO_UNAVAILABLE');
      expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      expect(await rowsNow()).toEqual(before);
    });

    it.each(MODES)('users/show answering %s still signs a bound user in with the stored profile', async (mode) => {
      const uid = await h.newWeiboUser('已绑定');
      const login = await h.weiboLogin(uid);
      if (login.status !== 'bind_required') throw new Error('expected bind_required');
      const registered = await h.caller().weibo.register({ ticket: login.ticket, account: `f_${mode}_${uid}`, password: 'password-123' });
      await fault('users_show', mode);
      const again = await h.weiboLogin(uid);
      expect(again.status === 'signed_in' && again.user).toEqual(registered.user);
    });
  },
  { weiboTimeoutMs: TIMEOUT_MS },
);
