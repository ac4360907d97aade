/**
 * (2e) The account's life: Weibo-first accounts, re-authentication, devices, the password, the
 * export and a disabled account. Deletion is in account-deletion.test.ts.
 */
import { expect, it } from 'vitest';
import { inTransaction } from '../src/db/transaction.ts';
import { SESSION_TOUCH_INTERVAL_MS } from '../src/modules/sessions/sessions.service.ts';
import { createUserWithMadeName } from '../src/modules/users/users.service.ts';
import { describeOnEachDatabase, type Harness, reasonOf } from './support/harness.ts';

/** A new Weibo user signed up in one tap (no name, no password); its token and uid. */
async function weiboFirstAccount(h: Harness, browserId = h.newBrowser()) {
  const uid = await h.newWeiboUser('微博优先');
  const login = await h.weiboLogin(uid, browserId);
  if (login.status !== 'bind_required') throw new Error('expected bind_required');
  const signedIn = await h.caller({ browserId }).weibo.register({ ticket: login.ticket });
  return { uid, browserId, signedIn, token: signedIn.session.token };
}

describeOnEachDatabase('the account’s life', (h) => {
  it('makes a Weibo-first account in one tap: a wb_ name, no password, Weibo’s name and picture', async () => {
    const { uid, signedIn, token } = await weiboFirstAccount(h);
    expect(signedIn.user.account).toMatch(/^wb_[a-z0-9]{8}$/);
    expect(signedIn.user).toMatchObject({ hasPassword: false, displayName: '微博优先' });
    expect((await h.caller({ token }).auth.me()).user.hasPassword).toBe(false);
    // Weibo signs it in; its name with any password does not.
    expect((await h.weiboLogin(uid)).status).toBe('signed_in');
    expect(await reasonOf(h.caller().auth.login({ account: signedIn.user.account, password: 'any password at all' }))).toBe(
      'BAD_CREDENTIALS',
    );
    // Unbinding would leave it with no way in.
    expect(await reasonOf(h.caller({ token }).weibo.unbind())).toBe('LAST_SIGN_IN_METHOD');
  });

  it('takes a name and a password on weibo.register when given, as before', async () => {
    const uid = await h.newWeiboUser();
    const login = await h.weiboLogin(uid);
    if (login.status !== 'bind_required') throw new Error('expected bind_required');
    const made = await h.caller().weibo.register({ ticket: login.ticket, account: 'Named_One', password: 'named password 1' });
    expect(made.user).toMatchObject({ account: 'Named_One', hasPassword: true });
    expect((await h.caller().auth.login({ account: 'named_one', password: 'named password 1' })).user.id).toBe(made.user.id);
  });

  it('re-authenticates this session only, for 5 minutes; a wrong password counts toward the lock-out', async () => {
    const account = await h.registerAccount();
    const ip = '198.51.100.7';
    const me = h.caller({ token: account.token, ip });
    expect(await reasonOf(me.account.reauthenticate({ password: 'wrong password' }))).toBe('BAD_CREDENTIALS');
    const { until } = await me.account.reauthenticate({ password: account.password });
    expect(Date.parse(until)).toBe(h.clock.now + 5 * 60 * 1000);
    const failed = await h.db.selectFrom('password_attempts').selectAll().where('ip', '=', ip).execute();
    expect(failed.map((row) => row.failed)).toEqual([1]);
    for (let i = 0; i < 4; i++) await reasonOf(me.account.reauthenticate({ password: 'wrong again' }));
    expect(await reasonOf(me.account.reauthenticate({ password: account.password }))).toBe('TOO_MANY_ATTEMPTS');
  });

  it('lists the devices, newest use first, this one marked, with how each signed in', async () => {
    const { token, uid } = await weiboFirstAccount(h);
    h.clock.advance(1000);
    const second = await h.weiboLogin(uid);
    if (second.status !== 'signed_in') throw new Error('expected signed_in');
    const me = h.caller({ token });
    h.clock.advance(SESSION_TOUCH_INTERVAL_MS);
    await me.auth.me(); // a use of the first session, recorded in the background
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { devices } = await me.account.devices();
    expect(devices).toHaveLength(2);
    expect(devices[0]).toMatchObject({ current: true, method: 'weibo', userAgent: 'vitest' });
    expect(devices[1]!.current).toBe(false);
    expect(Date.parse(devices[0]!.lastUsedAt)).toBe(h.clock.now);
    expect(Date.parse(devices[0]!.lastUsedAt)).toBeGreaterThan(Date.parse(devices[0]!.createdAt));
  });

  it('records a device’s use at most once a minute', async () => {
    const account = await h.registerAccount();
    const me = h.caller({ token: account.token });
    const lastUsed = async () => (await me.account.devices()).devices[0]!.lastUsedAt;
    const first = await lastUsed();
    h.clock.advance(SESSION_TOUCH_INTERVAL_MS - 1);
    await me.auth.me();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await lastUsed()).toBe(first);
    h.clock.advance(1);
    await me.auth.me();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Date.parse(await lastUsed())).toBe(h.clock.now);
  });

  it('signs one device out at once; another account’s device or an unknown id is DEVICE_NOT_FOUND', async () => {
    const account = await h.registerAccount();
    const other = await h.caller().auth.login({ account: account.account, password: account.password });
    const me = h.caller({ token: account.token });
    const { devices } = await me.account.devices();
    const otherDevice = devices.find((d) => !d.current)!;
    const stranger = await h.registerAccount();
    expect(await reasonOf(h.caller({ token: stranger.token }).account.signOutDevice({ id: otherDevice.id }))).toBe('DEVICE_NOT_FOUND');
    expect(await reasonOf(me.account.signOutDevice({ id: 'f'.repeat(32) }))).toBe('DEVICE_NOT_FOUND');
    expect(await me.account.signOutDevice({ id: otherDevice.id })).toEqual({ ok: true });
    expect(await reasonOf(h.caller({ token: other.session.token }).auth.me())).toBe('UNAUTHENTICATED');
    expect((await me.account.devices()).devices).toHaveLength(1);
    expect((await me.auth.activity()).events[0]!.kind).toBe('device_signed_out');
  });

  it('changes the password with the current one, ending every other session', async () => {
    const account = await h.registerAccount();
    const other = await h.caller().auth.login({ account: account.account, password: account.password });
    const me = h.caller({ token: account.token });
    expect(await reasonOf(me.account.setPassword({ newPassword: 'a new password' }))).toBe('INVALID_INPUT');
    expect(await reasonOf(me.account.setPassword({ currentPassword: 'not the password', newPassword: 'a new password' }))).toBe(
      'BAD_CREDENTIALS',
    );
    await me.account.setPassword({ currentPassword: account.password, newPassword: 'a new password' });
    expect(await reasonOf(h.caller({ token: other.session.token }).auth.me())).toBe('UNAUTHENTICATED');
    expect((await me.auth.me()).user.id).toBe(account.userId);
    expect(await reasonOf(h.caller().auth.login({ account: account.account, password: account.password }))).toBe('BAD_CREDENTIALS');
    expect((await h.caller().auth.login({ account: account.account, password: 'a new password' })).user.id).toBe(account.userId);
    expect((await me.auth.activity()).events.map((e) => e.kind)).toContain('password_changed');
  });

  it('sets a first password only after a re-authentication (by Weibo here), then signs in with it', async () => {
    const { token, uid, browserId, signedIn } = await weiboFirstAccount(h);
    const me = h.caller({ token, browserId });
    expect(await reasonOf(me.account.setPassword({ newPassword: 'first password' }))).toBe('REAUTH_REQUIRED');
    expect(await reasonOf(me.account.reauthenticate({ password: 'first password' }))).toBe('BAD_CREDENTIALS');
    const { state } = await me.weibo.authorizeUrl({ intent: 'reauth' });
    expect((await me.weibo.finish({ code: await h.mintCode(uid), state })).status).toBe('reauthenticated');
    expect(await reasonOf(me.account.setPassword({ currentPassword: 'first password', newPassword: 'first password' }))).toBe(
      'INVALID_INPUT',
    );
    await me.account.setPassword({ newPassword: 'first password' });
    expect((await me.auth.me()).user.hasPassword).toBe(true);
    expect((await h.caller().auth.login({ account: signedIn.user.account, password: 'first password' })).user.id).toBe(signedIn.user.id);
    expect((await me.auth.activity()).events.map((e) => e.kind)).toContain('password_set');
    // With a password, Weibo can be unbound.
    expect(await me.weibo.unbind({ password: 'first password' })).toEqual({ ok: true });
  });

  it('exports everything held about the account, and never a secret, hash or token', async () => {
    const { token, uid } = await weiboFirstAccount(h);
    const me = h.caller({ token });
    const exported = await me.account.export();
    expect(exported.user.account).toMatch(/^wb_/);
    expect(exported.identities).toMatchObject([{ provider: 'weibo', uid }]);
    expect(exported.devices).toHaveLength(1);
    expect(exported.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['account_created', 'weibo_bound', 'sign_in_weibo']));
    const text = JSON.stringify(exported);
    const identity = await h.db.selectFrom('identities').select('access_token').where('provider_uid', '=', uid).executeTakeFirstOrThrow();
    expect(text).not.toContain(identity.access_token!);
    expect(text).not.toContain(token);
    expect(text).not.toMatch(/\$2[aby]\$/);
  });

  it('refuses sign-ins to a disabled account with ACCOUNT_DISABLED, by password and by Weibo, but only to who proves it', async () => {
    const account = await h.registerAccount();
    const uid = await h.newWeiboUser();
    const login = await h.weiboLogin(uid);
    if (login.status !== 'bind_required') throw new Error('expected bind_required');
    await h.caller().weibo.bind({ ticket: login.ticket, account: account.account, password: account.password });
    await h.db.updateTable('users').set({ disabled_at: h.clock.now }).where('id', '=', Number(account.userId)).execute();
    // A session made just before (here: never ended) does not work either.
    expect(await reasonOf(h.caller({ token: account.token }).auth.me())).toBe('UNAUTHENTICATED');
    expect(await reasonOf(h.caller().auth.login({ account: account.account, password: 'wrong password' }))).toBe('BAD_CREDENTIALS');
    expect(await reasonOf(h.caller().auth.login({ account: account.account, password: account.password }))).toBe('ACCOUNT_DISABLED');
    expect(await reasonOf(h.weiboLogin(uid))).toBe('ACCOUNT_DISABLED');
    const another = await h.newWeiboUser();
    const ticket = await h.weiboLogin(another);
    if (ticket.status !== 'bind_required') throw new Error('expected bind_required');
    expect(await reasonOf(h.caller().weibo.bind({ ticket: ticket.ticket, account: account.account, password: account.password }))).toBe(
      'ACCOUNT_DISABLED',
    );
  });
});

describeOnEachDatabase('made account names', (h) => {
  const profile = { displayName: null, avatarUrl: null };

  it('draws again when a made name is taken, inside one transaction, and gives up after a few', async () => {
    const taken = (await h.registerAccount('wb_taken01')).account;
    const names = ['wb_taken01', 'wb_taken01', 'wb_fresh001'];
    const made = await inTransaction(h.db, (trx) => createUserWithMadeName(trx, null, profile, h.clock.now, () => names.shift()!));
    expect(made.account).toBe('wb_fresh001');
    expect(await reasonOf(inTransaction(h.db, (trx) => createUserWithMadeName(trx, null, profile, h.clock.now, () => taken)))).toBe(
      'ACCOUNT_TAKEN',
    );
  });

  it('makes 30 Weibo-first accounts at once, each with a name of its own', async () => {
    const tickets = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const browserId = h.newBrowser();
        const login = await h.weiboLogin(await h.newWeiboUser(), browserId);
        if (login.status !== 'bind_required') throw new Error('expected bind_required');
        return { browserId, ticket: login.ticket };
      }),
    );
    const made = await Promise.all(tickets.map(({ browserId, ticket }) => h.caller({ browserId }).weibo.register({ ticket })));
    const names = made.map((m) => m.user.account);
    expect(new Set(names).size).toBe(30);
    for (const name of names) expect(name).toMatch(/^wb_[a-z0-9]{8}$/);
  });
});
