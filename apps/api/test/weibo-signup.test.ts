/** (2e) WEIBO_SIGNUP=closed, and what site.info says of a configured site. */
import { expect, it } from 'vitest';
import { describeOnEachDatabase, reasonOf } from './support/harness.ts';

const SITE = {
  name: '示例网',
  icp: '京ICP备12345678号-1',
  termsUrl: 'https://example.com/terms',
  privacyUrl: '/privacy',
  weiboSignup: 'closed',
} as const;

describeOnEachDatabase(
  'WEIBO_SIGNUP=closed',
  (h) => {
    it('says so in site.info and in bind_required, refuses weibo.register and still binds existing accounts', async () => {
      expect(await h.caller().site.info()).toEqual(SITE);
      const uid = await h.newWeiboUser();
      const login = await h.weiboLogin(uid);
      expect(login).toMatchObject({ status: 'bind_required', canRegister: false });
      if (login.status !== 'bind_required') throw new Error('unreachable');
      expect(await reasonOf(h.caller().weibo.register({ ticket: login.ticket }))).toBe('WEIBO_SIGNUP_CLOSED');
      expect(await reasonOf(h.caller().weibo.register({ ticket: login.ticket, account: 'closed_user', password: 'a good password' }))).toBe(
        'WEIBO_SIGNUP_CLOSED',
      );
      expect(await h.count('users')).toBe(0);
      const account = await h.registerAccount();
      const bound = await h.caller().weibo.bind({ ticket: login.ticket, account: account.account, password: account.password });
      expect(bound.user.id).toBe(account.userId);
    });
  },
  { site: SITE },
);
