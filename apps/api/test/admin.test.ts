/**
 * (2e) The operator's services (modules/operator, CONTRACT §6), on each database: find and show
 * with the uid masked and nothing secret; disable, enable, unbind, sign out and delete, each with
 * its reason in an event the owner sees through auth.activity, each one transaction. The tool's
 * process is tried in admin-cli.test.ts.
 */
import { sql } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import { inTransaction } from '../src/db/transaction.ts';
import { maskUid } from '../src/modules/operator/operator.dto.ts';
import { OperatorError, requireReason } from '../src/modules/operator/operator-input.ts';
import {
  deleteUser,
  disableUser,
  enableUser,
  findUsers,
  FOUND_ACCOUNTS_MAX,
  showUser,
  signOutUser,
  unbindUser,
} from '../src/modules/operator/operator.service.ts';
import { recordEvent } from '../src/modules/audit/audit.repository.ts';
import { createUser } from '../src/modules/users/users.service.ts';
import { describeOnEachDatabase, type Harness, reasonOf } from './support/harness.ts';
import { accountWithWeibo, expectNoSecrets, weiboOnlyAccount } from './support/operator.ts';

/** The OperatorError's code a call rejects with. */
async function operatorErrorOf(promise: Promise<unknown>): Promise<OperatorError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OperatorError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const revokeCalls = async (h: Harness) => (await h.simControl.stats()).requests.revokeoauth2 ?? 0;

/** The owner's own view of the account's events (auth.activity), after signing in again. */
async function ownerActivity(h: Harness, account: { account: string; password: string | null }) {
  const signedIn = await h.caller().auth.login({ account: account.account, password: account.password! });
  return (await h.caller({ token: signedIn.session.token }).auth.activity()).events;
}

/** Makes the database refuse the operator's events, so that a change fails at its last statement. */
async function withOperatorEventsFailing(h: Harness, run: () => Promise<void>): Promise<void> {
  if (h.dialect === 'sqlite') {
    await sql`create trigger fail_operator_event before insert on auth_events when new.kind like 'operator%'
      begin select raise(abort, 'the database failed'); end`.execute(h.db);
  } else {
    await sql`create trigger fail_operator_event before insert on auth_events for each row
      begin if new.kind like 'operator%' then signal sqlstate '45000' set message_text = 'the database failed'; end if; end`.execute(h.db);
  }
  try {
    await run();
  } finally {
    await sql`drop trigger fail_operator_event`.execute(h.db);
  }
}

describe('the operator’s masks and reasons', () => {
  it('masks a Weibo uid: 2 and 4 digits of a usual one, less of a short one, nothing of a tiny one', () => {
    expect(maskUid('5285840175')).toBe('52****0175');
    expect(maskUid('52858401751')).toBe('52*****1751');
    expect(maskUid('1234567')).toBe('1****67');
    expect(maskUid('123456')).toBe('1***56');
    expect(maskUid('12345')).toBe('****5');
    expect(maskUid('123')).toBe('***');
  });

  it('takes a reason trimmed, one line, of 1 to 255 characters', () => {
    expect(requireReason('  用户申诉：账号被盗  ')).toBe('用户申诉：账号被盗');
    expect('😀'.repeat(255)).toHaveLength(510);
    expect(requireReason('😀'.repeat(255))).toBe('😀'.repeat(255));
    for (const bad of [undefined, '', '   ', 'x'.repeat(256), 'two\nlines', 'bell\u0007', 'csi\u009b31m']) {
      expect(() => requireReason(bad), JSON.stringify(bad)).toThrow(OperatorError);
    }
  });
});

describeOnEachDatabase('the operator’s services', (h) => {
  beforeEach(async () => {
    await h.db.deleteFrom('weibo_revocations').execute();
    await h.simControl.clearFaults();
  });

  it('finds accounts by a part of the name (any case), of the display name, by id and by a whole Weibo uid, uid masked', async () => {
    const bound = await accountWithWeibo(h, '寻找测试甲');
    const named = bound.account.toUpperCase().slice(2, 9);
    for (const text of [named, String(bound.userId), bound.uid]) {
      const found = await findUsers(h.deps, text);
      expect(
        found.accounts.map((a) => a.account),
        text,
      ).toContain(bound.account);
    }
    // The display name is the Weibo screen name, copied at the bind.
    expect((await findUsers(h.deps, '找测试甲')).accounts.map((a) => a.account)).toEqual([bound.account]);

    const [summary] = (await findUsers(h.deps, bound.account)).accounts;
    expect(summary).toEqual({
      id: String(bound.userId),
      account: bound.account,
      displayName: '寻找测试甲',
      hasPassword: true,
      disabledAt: null,
      createdAt: expect.any(String),
      weibo: { uid: maskUid(bound.uid), screenName: '寻找测试甲' },
    });
    expect(summary!.weibo!.uid).not.toBe(bound.uid);
    expectNoSecrets(JSON.stringify(await findUsers(h.deps, bound.uid)), bound);
  });

  it('takes LIKE’s wildcards as text, and says when more accounts match than it lists', async () => {
    const prefix = `many${Date.now().toString(36)}`;
    await inTransaction(h.db, async (trx) => {
      await createUser(trx, `${prefix}xabc`, null, { displayName: '百分之百', avatarUrl: null }, h.clock.now);
    });
    for (const text of ['%', `${prefix}x_bc`, `${prefix}x!bc`, '百%百', '百_之百'])
      expect((await findUsers(h.deps, text)).accounts, text).toEqual([]);
    expect((await findUsers(h.deps, `${prefix}xa`)).accounts).toHaveLength(1);
    await inTransaction(h.db, async (trx) => {
      for (let i = 0; i <= FOUND_ACCOUNTS_MAX; i++)
        await createUser(trx, `${prefix}_${i}`, null, { displayName: null, avatarUrl: null }, h.clock.now);
    });
    const found = await findUsers(h.deps, prefix);
    expect(found.accounts).toHaveLength(FOUND_ACCOUNTS_MAX);
    expect(found.truncated).toBe(true);
    expect(await operatorErrorOf(findUsers(h.deps, '   '))).toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('shows an account: profile, binding with the last Weibo sign-in and token expiry, devices, the latest 20 events', async () => {
    const bound = await accountWithWeibo(h, '展示测试');
    const weiboSignIn = await h.weiboLogin(bound.uid);
    if (weiboSignIn.status !== 'signed_in') throw new Error('expected signed_in');
    bound.tokens.push(weiboSignIn.session.token);
    for (let i = 0; i < 25; i++)
      await recordEvent(h.db, { kind: 'password_failed', userId: bound.userId, ip: '203.0.113.9', userAgent: 'curl', at: h.clock.now });

    const shown = await showUser(h.deps, bound.account.toUpperCase());
    expect(shown).toMatchObject({ id: String(bound.userId), account: bound.account, hasPassword: true, disabledAt: null });
    const identity = await h.db.selectFrom('identities').selectAll().where('provider_uid', '=', bound.uid).executeTakeFirstOrThrow();
    const lastWeibo = await h.db
      .selectFrom('auth_events')
      .select('at')
      .where('user_id', '=', bound.userId)
      .where('kind', '=', 'sign_in_weibo')
      .orderBy('at', 'desc')
      .executeTakeFirstOrThrow();
    expect(shown.weibo).toEqual({
      uid: maskUid(bound.uid),
      screenName: '展示测试',
      boundAt: new Date(identity.bound_at).toISOString(),
      lastSignInAt: new Date(lastWeibo.at).toISOString(),
      tokenExpiresAt: new Date(identity.token_expires_at!).toISOString(),
    });
    expect(shown.devices.map((d) => d.method).sort()).toEqual(['password', 'weibo', 'weibo']);
    const devicesSeenByOwner = (await h.caller({ token: bound.tokens[0] }).account.devices()).devices;
    expect(shown.devices.map((d) => d.id).sort()).toEqual(devicesSeenByOwner.map((d) => d.id).sort());
    expect(shown.events).toHaveLength(20);
    expect(shown.events[0]).toMatchObject({ kind: 'password_failed', reason: null });
    expect(shown.events).toEqual((await h.caller({ token: bound.tokens[0] }).auth.activity()).events.slice(0, 20));

    expect((await showUser(h.deps, `id:${bound.userId}`)).account).toBe(bound.account);
    expectNoSecrets(JSON.stringify(shown), bound);
  });

  it('answers an unknown account with a clear error, and an id only when asked for as id:', async () => {
    expect(await operatorErrorOf(showUser(h.deps, 'nobody_here'))).toMatchObject({
      code: 'UNKNOWN_ACCOUNT',
      message: 'no account named "nobody_here"',
    });
    expect(await operatorErrorOf(showUser(h.deps, 'id:999999999'))).toMatchObject({ code: 'UNKNOWN_ACCOUNT' });
    expect(await operatorErrorOf(showUser(h.deps, 'id:x'))).toMatchObject({ code: 'UNKNOWN_ACCOUNT' });
    const bound = await accountWithWeibo(h);
    expect((await operatorErrorOf(disableUser(h.deps, String(bound.userId), 'reason'))).message).toContain(`id:${bound.userId}`);
    // A change without a reason is refused before anything is looked up or written.
    expect(await operatorErrorOf(disableUser(h.deps, bound.account, ' '))).toMatchObject({ code: 'INVALID_INPUT' });
    expect((await h.caller({ token: bound.tokens[0] }).auth.me()).user.account).toBe(bound.account);
  });

  it('disables: every session ends at once and sign-in by password and by Weibo answers ACCOUNT_DISABLED; enable lets it back', async () => {
    const bound = await accountWithWeibo(h);
    expect(await disableUser(h.deps, bound.account, '  涉嫌盗号，冻结待核实 ')).toEqual({
      action: 'disable',
      account: { id: String(bound.userId), account: bound.account },
      changed: true,
      reason: '涉嫌盗号，冻结待核实',
      sessionsEnded: 2,
      weiboRevoke: 'none',
    });
    for (const token of bound.tokens) expect(await reasonOf(h.caller({ token }).auth.me())).toBe('UNAUTHENTICATED');
    expect(await reasonOf(h.caller().auth.login({ account: bound.account, password: bound.password! }))).toBe('ACCOUNT_DISABLED');
    expect(await reasonOf(h.weiboLogin(bound.uid))).toBe('ACCOUNT_DISABLED');
    expect((await showUser(h.deps, bound.account)).disabledAt).not.toBeNull();
    // Again: nothing to do, and no second event.
    expect(await disableUser(h.deps, bound.account, 'again')).toMatchObject({ changed: false, sessionsEnded: 0 });

    expect(await enableUser(h.deps, bound.account, '核实为本人')).toMatchObject({ action: 'enable', changed: true });
    expect(await enableUser(h.deps, bound.account, 'again')).toMatchObject({ changed: false });
    expect((await h.weiboLogin(bound.uid)).status).toBe('signed_in');
    const events = await ownerActivity(h, bound);
    const operatorEvents = events.filter((e) => e.kind.startsWith('operator_'));
    expect(operatorEvents).toEqual([
      { kind: 'operator_enabled', at: expect.any(String), ip: null, userAgent: null, reason: '核实为本人' },
      { kind: 'operator_disabled', at: expect.any(String), ip: null, userAgent: null, reason: '涉嫌盗号，冻结待核实' },
    ]);
  });

  it('disables in one transaction: when its event cannot be written, the account stays enabled with its sessions', async () => {
    const bound = await accountWithWeibo(h);
    await withOperatorEventsFailing(h, async () => {
      await expect(disableUser(h.deps, bound.account, 'reason')).rejects.toThrow(/the database failed/);
    });
    expect((await showUser(h.deps, bound.account)).disabledAt).toBeNull();
    for (const token of bound.tokens) expect((await h.caller({ token }).auth.me()).user.account).toBe(bound.account);
  });

  it('signs out every session of the account, with the event', async () => {
    const bound = await accountWithWeibo(h);
    expect(await signOutUser(h.deps, bound.account, '设备丢失')).toMatchObject({ action: 'sign-out', changed: true, sessionsEnded: 2 });
    for (const token of bound.tokens) expect(await reasonOf(h.caller({ token }).auth.me())).toBe('UNAUTHENTICATED');
    expect(await signOutUser(h.deps, bound.account, 'again')).toMatchObject({ changed: false, sessionsEnded: 0 });
    const events = await ownerActivity(h, bound);
    expect(events.filter((e) => e.kind === 'operator_signed_out')).toEqual([
      { kind: 'operator_signed_out', at: expect.any(String), ip: null, userAgent: null, reason: '设备丢失' },
    ]);
  });

  it('unbinds the Weibo and revokes the grant at Weibo through the outbox', async () => {
    const bound = await accountWithWeibo(h);
    const before = await revokeCalls(h);
    expect(await unbindUser(h.deps, bound.account, '用户申请解绑')).toMatchObject({
      action: 'unbind',
      changed: true,
      weiboRevoke: 'revoked',
    });
    expect(await revokeCalls(h)).toBe(before + 1);
    expect(await h.db.selectFrom('weibo_revocations').selectAll().execute()).toEqual([]);
    expect((await h.caller({ token: bound.tokens[0] }).auth.me()).identities).toEqual([]);
    // The uid is free: Weibo sign-in asks to bind again.
    expect((await h.weiboLogin(bound.uid)).status).toBe('bind_required');
    expect(await unbindUser(h.deps, bound.account, 'again')).toMatchObject({ changed: false, weiboRevoke: 'none' });
    const events = await ownerActivity(h, bound);
    expect(events.filter((e) => e.kind === 'operator_unbound')).toEqual([
      { kind: 'operator_unbound', at: expect.any(String), ip: null, userAgent: null, reason: '用户申请解绑' },
    ]);
  });

  it('leaves a revoke Weibo does not take now in the outbox, for the API to retry', async () => {
    const bound = await accountWithWeibo(h);
    await h.simControl.addFault({ endpoint: 'revokeoauth2', mode: '502', times: 1 });
    expect(await unbindUser(h.deps, bound.account, 'reason')).toMatchObject({ changed: true, weiboRevoke: 'pending' });
    expect(await h.db.selectFrom('weibo_revocations').select('attempts').execute()).toEqual([{ attempts: 1 }]);
    expect((await h.caller({ token: bound.tokens[0] }).auth.me()).identities).toEqual([]);
  });

  it('unbinds in one transaction, and refuses to leave an account without a password with no way in', async () => {
    const bound = await accountWithWeibo(h);
    await withOperatorEventsFailing(h, async () => {
      await expect(unbindUser(h.deps, bound.account, 'reason')).rejects.toThrow(/the database failed/);
    });
    expect((await h.caller({ token: bound.tokens[0] }).auth.me()).identities).toHaveLength(1);
    expect(await h.db.selectFrom('weibo_revocations').selectAll().execute()).toEqual([]);

    const weiboOnly = await weiboOnlyAccount(h);
    expect(await operatorErrorOf(unbindUser(h.deps, weiboOnly.account, 'reason'))).toMatchObject({ code: 'REFUSED' });
    expect((await h.caller({ token: weiboOnly.tokens[0] }).auth.me()).identities).toHaveLength(1);
  });

  it('deletes as account.delete does; the anonymous account_deleted event carries the reason', async () => {
    const bound = await accountWithWeibo(h);
    const before = await revokeCalls(h);
    expect(await deleteUser(h.deps, bound.account, '用户书面申请注销')).toMatchObject({
      action: 'delete',
      changed: true,
      sessionsEnded: 2,
      weiboRevoke: 'revoked',
    });
    expect(await revokeCalls(h)).toBe(before + 1);
    for (const token of bound.tokens) expect(await reasonOf(h.caller({ token }).auth.me())).toBe('UNAUTHENTICATED');
    expect(await h.db.selectFrom('users').select('id').where('id', '=', bound.userId).execute()).toEqual([]);
    expect(await h.db.selectFrom('auth_events').select('id').where('user_id', '=', bound.userId).execute()).toEqual([]);
    const deleted = await h.db
      .selectFrom('auth_events')
      .selectAll()
      .where('kind', '=', 'account_deleted')
      .where('reason', '=', '用户书面申请注销')
      .execute();
    expect(deleted).toMatchObject([{ user_id: null, account_key: null, ip: null, user_agent: null }]);
    expect(await operatorErrorOf(showUser(h.deps, bound.account))).toMatchObject({ code: 'UNKNOWN_ACCOUNT' });
    // The name is free again.
    expect((await h.registerAccount(bound.account)).account).toBe(bound.account);
  });
});
