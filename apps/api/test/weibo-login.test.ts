import type { SimStats } from '@weibo-login/weibo-sim';
import { expect, it } from 'vitest';
import { describeOnEachDatabase, reasonOf } from './support/harness.ts';

describeOnEachDatabase('Weibo login', (h) => {
  it('builds the authorize URL with a fresh 256-bit state and the registered redirect_uri', async () => {
    const { url, state } = await h.caller({ browserId: h.newBrowser() }).weibo.authorizeUrl({ redirectTo: '/settings' });
    const parsed = new URL(url);
    expect(parsed.origin + parsed.pathname).toBe(h.weiboConfig.authorizeUrl);
    expect(Object.fromEntries(parsed.searchParams)).toEqual({
      client_id: h.weiboConfig.clientId,
      redirect_uri: h.weiboConfig.redirectUri,
      response_type: 'code',
      state,
    });
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = await h.caller({ browserId: h.newBrowser() }).weibo.authorizeUrl();
    expect(again.state).not.toBe(state);
  });

  it('asks a new Weibo user to bind, then signs the bound user straight in', async () => {
    const uid = await h.newWeiboUser('新用户甲');
    const first = await h.weiboLogin(uid, undefined, '/after');
    expect(first.status).toBe('bind_required');
    if (first.status !== 'bind_required') return;
    expect(first.profile).toMatchObject({ uid, screenName: '新用户甲' });
    expect(first.redirectTo).toBe('/after');

    const account = await h.registerAccount();
    const bound = await h.caller().weibo.bind({ ticket: first.ticket, account: account.account, password: account.password });
    expect(bound.status).toBe('signed_in');
    expect(bound.user.id).toBe(account.userId);
    expect(bound.redirectTo).toBe('/after');
    // An account with no name of its own takes the Weibo profile's.
    expect(bound.user.displayName).toBe('新用户甲');

    const second = await h.weiboLogin(uid);
    expect(second.status).toBe('signed_in');
    if (second.status !== 'signed_in') return;
    expect(second.user.id).toBe(account.userId);
    const me = await h.caller({ token: second.session.token }).auth.me();
    expect(me.identities).toEqual([expect.objectContaining({ provider: 'weibo', uid, screenName: '新用户甲' })]);
  });

  it('identifies the Weibo user by uid although the access token changes at every login', async () => {
    const uid = await h.newWeiboUser();
    const first = await h.weiboLogin(uid);
    if (first.status !== 'bind_required') throw new Error('expected bind_required');
    const registered = await h.caller().weibo.register({ ticket: first.ticket, account: `tok_${uid}`, password: 'password-123' });
    const tokenAfterBind = await h.db
      .selectFrom('identities')
      .select('access_token')
      .where('provider_uid', '=', uid)
      .executeTakeFirstOrThrow();
    const logins = [await h.weiboLogin(uid), await h.weiboLogin(uid)];
    for (const login of logins) {
      expect(login.status).toBe('signed_in');
      if (login.status === 'signed_in') expect(login.user.id).toBe(registered.user.id);
    }
    // (2e) Stored sealed: only the API's keys open it.
    expect(tokenAfterBind.access_token).toMatch(/^wlenc1\./);
    expect(h.deps.tokens.open(tokenAfterBind.access_token!)).toMatch(/^2\.00/);
    expect(await h.db.selectFrom('identities').where('provider_uid', '=', uid).select('id').execute()).toHaveLength(1);
  });

  it('registers a new account from the ticket, with the Weibo name and avatar', async () => {
    const uid = await h.newWeiboUser('注册者');
    const login = await h.weiboLogin(uid);
    if (login.status !== 'bind_required') throw new Error('expected bind_required');
    const result = await h.caller().weibo.register({ ticket: login.ticket, account: `reg_${uid}`, password: 'password-123' });
    expect(result.user).toMatchObject({ account: `reg_${uid}`, displayName: '注册者' });
    expect(result.user.avatarUrl).toBe(login.profile.avatarUrl);
    const again = await h.weiboLogin(uid);
    expect(again.status === 'signed_in' && again.user.id).toBe(result.user.id);
  });

  it('refreshes the screen name and avatar from Weibo on login', async () => {
    const uid = await h.newWeiboUser('旧名字');
    const login = await h.weiboLogin(uid);
    if (login.status !== 'bind_required') throw new Error('expected bind_required');
    await h.caller().weibo.register({ ticket: login.ticket, account: `ren_${uid}`, password: 'password-123' });
    await h.simControl.updateUser(uid, { screenName: '新名字' });
    const after = await h.weiboLogin(uid);
    expect(after.status === 'signed_in' && after.user.displayName).toBe('新名字');
    const identity = await h.db.selectFrom('identities').select('screen_name').where('provider_uid', '=', uid).executeTakeFirstOrThrow();
    expect(identity.screen_name).toBe('新名字');
  });

  it('accepts a state once, only from the browser it was issued to, only before it expires', async () => {
    const uid = await h.newWeiboUser();
    const browser = h.newBrowser();
    const issue = () => h.caller({ browserId: browser }).weibo.authorizeUrl();

    const { state } = await issue();
    // (2e) Genuine and unexpired, but shown by another browser (or one without the cookie): said as such.
    expect(await reasonOf(h.caller({ browserId: h.newBrowser() }).weibo.login({ code: await h.mintCode(uid), state }))).toBe(
      'BROWSER_MISMATCH',
    );
    expect(await reasonOf(h.caller({ browserId: null }).weibo.login({ code: await h.mintCode(uid), state }))).toBe('BROWSER_MISMATCH');
    // Shown by a stranger, the state was not spent: its own browser can still use it, once.
    expect((await h.caller({ browserId: browser }).weibo.login({ code: await h.mintCode(uid), state })).status).toBe('bind_required');
    expect(await reasonOf(h.caller({ browserId: browser }).weibo.login({ code: await h.mintCode(uid), state }))).toBe('STATE_INVALID');

    const forged = 'A'.repeat(43);
    expect(await reasonOf(h.caller({ browserId: browser }).weibo.login({ code: await h.mintCode(uid), state: forged }))).toBe(
      'STATE_INVALID',
    );

    const late = await issue();
    h.clock.advance(10 * 60 * 1000 + 1);
    expect(await reasonOf(h.caller({ browserId: browser }).weibo.login({ code: await h.mintCode(uid), state: late.state }))).toBe(
      'STATE_INVALID',
    );
  });

  it('lets only one of two simultaneous logins with one state through', async () => {
    const uid = await h.newWeiboUser();
    const browser = h.newBrowser();
    const { state } = await h.caller({ browserId: browser }).weibo.authorizeUrl();
    const [codeA, codeB] = [await h.mintCode(uid), await h.mintCode(uid)];
    const reasons = await Promise.all(
      [codeA, codeB].map((code) => reasonOf(h.caller({ browserId: browser }).weibo.login({ code, state }))),
    );
    expect(reasons.sort()).toEqual(['STATE_INVALID', 'resolved']);
  });

  it('spends a ticket once even when two registrations race with it', async () => {
    const uid = await h.newWeiboUser();
    const login = await h.weiboLogin(uid);
    if (login.status !== 'bind_required') throw new Error('expected bind_required');
    const reasons = await Promise.all(
      ['a', 'b'].map((suffix) =>
        reasonOf(h.caller().weibo.register({ ticket: login.ticket, account: `twice_${suffix}_${uid}`, password: 'password-123' })),
      ),
    );
    expect(reasons.sort()).toEqual(['TICKET_INVALID', 'resolved']);
    expect(await h.db.selectFrom('users').where('account', 'like', `twice_%_${uid}`).select('id').execute()).toHaveLength(1);
  });

  it('checks the state before spending the code at Weibo', async () => {
    const uid = await h.newWeiboUser();
    const code = await h.mintCode(uid);
    expect(await reasonOf(h.caller({ browserId: h.newBrowser() }).weibo.login({ code, state: 'B'.repeat(43) }))).toBe('STATE_INVALID');
    const browser = h.newBrowser();
    const { state } = await h.caller({ browserId: browser }).weibo.authorizeUrl();
    expect((await h.caller({ browserId: browser }).weibo.login({ code, state })).status).toBe('bind_required');
  });

  it('reports a spent code as WEIBO_CODE_INVALID and never retries the exchange', async () => {
    const uid = await h.newWeiboUser();
    const code = await h.mintCode(uid);
    const browser = h.newBrowser();
    const caller = h.caller({ browserId: browser });
    await caller.weibo.login({ code, state: (await caller.weibo.authorizeUrl()).state });
    const before = await h.simControl.stats();
    expect(await reasonOf(caller.weibo.login({ code, state: (await caller.weibo.authorizeUrl()).state }))).toBe('WEIBO_CODE_INVALID');
    expect(await reasonOf(caller.weibo.login({ code: 'f'.repeat(32), state: (await caller.weibo.authorizeUrl()).state }))).toBe(
      'WEIBO_CODE_INVALID',
    );
    const after = await h.simControl.stats();
    expect(accessTokenCalls(after) - accessTokenCalls(before)).toBe(2);
  });

  it('rejects forged, tampered, expired and spent bind tickets', async () => {
    const account = await h.registerAccount();
    const uid = await h.newWeiboUser();
    const login = await h.weiboLogin(uid);
    if (login.status !== 'bind_required') throw new Error('expected bind_required');
    const bind = (ticket: string) => h.caller().weibo.bind({ ticket, account: account.account, password: account.password });

    expect(await reasonOf(bind('not-a-ticket'))).toBe('TICKET_INVALID');
    const [header, payload, signature] = login.ticket.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const otherUid = Buffer.from(JSON.stringify({ ...claims, sub: '1234567890' })).toString('base64url');
    expect(await reasonOf(bind(`${header}.${otherUid}.${signature}`))).toBe('TICKET_INVALID');
    // A session token is signed with the same secret but is not a ticket.
    expect(await reasonOf(bind(account.token))).toBe('TICKET_INVALID');

    expect((await bind(login.ticket)).status).toBe('signed_in');
    expect(await reasonOf(bind(login.ticket))).toBe('TICKET_INVALID');

    const uid2 = await h.newWeiboUser();
    const late = await h.weiboLogin(uid2);
    if (late.status !== 'bind_required') throw new Error('expected bind_required');
    h.clock.advance(10 * 60 * 1000 + 1);
    const other = await h.registerAccount();
    expect(await reasonOf(h.caller().weibo.register({ ticket: late.ticket, account: `late_${uid2}`, password: 'password-123' }))).toBe(
      'TICKET_INVALID',
    );
    expect(await reasonOf(h.caller().weibo.bind({ ticket: late.ticket, account: other.account, password: other.password }))).toBe(
      'TICKET_INVALID',
    );
  });

  it('keeps the ticket after a wrong password or a taken account name, so the person can retry', async () => {
    const account = await h.registerAccount();
    const uid = await h.newWeiboUser();
    const login = await h.weiboLogin(uid);
    if (login.status !== 'bind_required') throw new Error('expected bind_required');
    expect(await reasonOf(h.caller().weibo.bind({ ticket: login.ticket, account: account.account, password: 'wrong password' }))).toBe(
      'BAD_CREDENTIALS',
    );
    expect(
      await reasonOf(h.caller().weibo.register({ ticket: login.ticket, account: account.account.toUpperCase(), password: 'password-123' })),
    ).toBe('ACCOUNT_TAKEN');
    expect(await h.db.selectFrom('users').where('account_key', '=', account.account).select('id').execute()).toHaveLength(1);
    expect((await h.caller().weibo.bind({ ticket: login.ticket, account: account.account, password: account.password })).status).toBe(
      'signed_in',
    );
  });

  it('refuses a second Weibo for one account and one Weibo for two accounts', async () => {
    const uidA = await h.newWeiboUser();
    const uidB = await h.newWeiboUser();
    const account = await h.registerAccount();
    const first = await h.weiboLogin(uidA);
    const second = await h.weiboLogin(uidB);
    const duplicate = await h.weiboLogin(uidA);
    if (first.status !== 'bind_required' || second.status !== 'bind_required' || duplicate.status !== 'bind_required')
      throw new Error('expected tickets');
    await h.caller().weibo.bind({ ticket: first.ticket, account: account.account, password: account.password });
    expect(await reasonOf(h.caller().weibo.bind({ ticket: second.ticket, account: account.account, password: account.password }))).toBe(
      'ACCOUNT_ALREADY_BOUND',
    );
    const other = await h.registerAccount();
    expect(await reasonOf(h.caller().weibo.bind({ ticket: duplicate.ticket, account: other.account, password: other.password }))).toBe(
      'WEIBO_ALREADY_BOUND',
    );
    expect(await reasonOf(h.caller().weibo.register({ ticket: duplicate.ticket, account: `dup_${uidA}`, password: 'password-123' }))).toBe(
      'WEIBO_ALREADY_BOUND',
    );
    expect(await h.db.selectFrom('users').where('account', '=', `dup_${uidA}`).select('id').execute()).toHaveLength(0);
  });

  it('settles 30 parallel binds of one uid to 30 accounts with exactly one binding', async () => {
    const uid = await h.newWeiboUser();
    const tickets: string[] = [];
    for (let i = 0; i < 30; i++) {
      const login = await h.weiboLogin(uid);
      if (login.status !== 'bind_required') throw new Error('expected bind_required');
      tickets.push(login.ticket);
    }
    const accounts = await Promise.all(tickets.map((_, i) => h.registerAccount(`race_${uid}_${i}`)));
    const results = await Promise.allSettled(
      tickets.map((ticket, i) =>
        h.caller({ ip: `198.51.100.${i}` }).weibo.bind({ ticket, account: accounts[i]!.account, password: accounts[i]!.password }),
      ),
    );
    const reasons = await Promise.all(results.map((r) => (r.status === 'fulfilled' ? 'signed_in' : reasonOf(Promise.reject(r.reason)))));
    expect(reasons.filter((r) => r === 'signed_in')).toHaveLength(1);
    expect(reasons.filter((r) => r === 'WEIBO_ALREADY_BOUND')).toHaveLength(29);
    expect(await h.db.selectFrom('identities').where('provider_uid', '=', uid).select('id').execute()).toHaveLength(1);
  });
});

const accessTokenCalls = (stats: SimStats): number => stats.requests.access_token ?? 0;
