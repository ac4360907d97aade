/**
 * (2e) Deleting an account: proof first, then everything at once in one transaction (nothing half
 * done when the database fails in the middle), the name and the uid free again, events kept only
 * as anonymous counts, and Weibo's grant revoked through the outbox, retried until Weibo answers
 * or the token expires, surviving a restart, made once when two instances race.
 */
import { sql } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDeps } from '../src/app.ts';
import { REVOKE_CLAIM_MS, REVOKE_RETRY_FIRST_MS } from '../src/limits/bounds.ts';
import { runDueRevocations } from '../src/modules/weibo-login/revocation-outbox.ts';
import { callerOn, freshIp, gatedHasher } from './support/bounds.ts';
import { describeOnEachDatabase, type Harness, reasonOf, TEST_SECRET } from './support/harness.ts';

/** An account with a password and a Weibo bound through the real flow, signed in from its own browser. */
async function boundAccount(h: Harness) {
  const account = await h.registerAccount();
  const uid = await h.newWeiboUser('将注销');
  const browserId = h.newBrowser();
  const login = await h.weiboLogin(uid, browserId);
  if (login.status !== 'bind_required') throw new Error('expected bind_required');
  const signedIn = await h.caller({ browserId }).weibo.bind({ ticket: login.ticket, account: account.account, password: account.password });
  const { access_token } = await h.db
    .selectFrom('identities')
    .select('access_token')
    .where('provider_uid', '=', uid)
    .executeTakeFirstOrThrow();
  return { ...account, uid, browserId, token: signedIn.session.token, userId: Number(account.userId), weiboToken: access_token! };
}

/** This account's revokes waiting in the outbox (the suite's other tests have their own). */
const outbox = (h: Harness, account: { weiboToken: string }) =>
  h.db.selectFrom('weibo_revocations').selectAll().where('access_token', '=', account.weiboToken).execute();
const revokeCalls = async (h: Harness) => (await h.simControl.stats()).requests.revokeoauth2 ?? 0;
/** The first attempt (made right after the delete, in the background) has failed and been rescheduled. */
async function firstAttemptFailed(h: Harness, account: { weiboToken: string }): Promise<void> {
  await until(async () => {
    const [row] = await outbox(h, account);
    return row !== undefined && row.attempts === 1 && row.next_attempt_at < h.clock.now + REVOKE_CLAIM_MS;
  });
}
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(await check()).toBe(true);
}

describeOnEachDatabase('account deletion', (h) => {
  // The outbox is the database's: each test starts with it empty.
  beforeEach(async () => {
    await h.db.deleteFrom('weibo_revocations').execute();
  });

  it('needs the password or a re-authentication', async () => {
    const account = await boundAccount(h);
    const me = h.caller({ token: account.token });
    expect(await reasonOf(me.account.delete())).toBe('REAUTH_REQUIRED');
    expect(await reasonOf(me.account.delete({ password: 'wrong password' }))).toBe('BAD_CREDENTIALS');
    expect((await me.auth.me()).user.id).toBe(String(account.userId));
  });

  it('removes the account and all of its at once, frees the name and the uid, keeps anonymous events', async () => {
    const account = await boundAccount(h);
    const otherSession = await h.caller().auth.login({ account: account.account, password: account.password });
    const me = h.caller({ token: account.token, browserId: account.browserId });
    await me.account.reauthenticate({ password: account.password });
    const eventsBefore = await h.db.selectFrom('auth_events').select('id').where('user_id', '=', account.userId).execute();
    expect(await me.account.delete()).toEqual({ ok: true });

    for (const token of [account.token, otherSession.session.token])
      expect(await reasonOf(h.caller({ token }).auth.me())).toBe('UNAUTHENTICATED');
    for (const table of ['users', 'identities', 'sessions', 'known_browsers', 'oauth_states'] as const) {
      const column = table === 'users' ? 'id' : 'user_id';
      const rows = await h.db
        .selectFrom(table)
        .select(sql<number>`1`.as('one'))
        .where(column, '=', account.userId)
        .execute();
      expect(rows, table).toEqual([]);
    }
    const kept = await h.db
      .selectFrom('auth_events')
      .selectAll()
      .where(
        'id',
        'in',
        eventsBefore.map((e) => e.id),
      )
      .execute();
    expect(kept).toHaveLength(eventsBefore.length);
    for (const event of kept) expect(event).toMatchObject({ user_id: null, account_key: null, ip: null, user_agent: null });
    expect(await h.db.selectFrom('auth_events').select('id').where('kind', '=', 'account_deleted').execute()).not.toEqual([]);

    // The name and the Weibo uid are free again at once.
    expect((await h.caller().auth.register({ account: account.account, password: 'someone else' })).user.account).toBe(account.account);
    expect((await h.weiboLogin(account.uid)).status).toBe('bind_required');
  });

  // Calls in flight when the account is deleted: each must end with a clear answer, leaving no
  // session of the deleted account and nothing that names it.
  describe('a call in flight when the account is deleted', () => {
    const sessionsOf = (userId: number) => h.db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute();
    const eventsOf = (userId: number) => h.db.selectFrom('auth_events').select('kind').where('user_id', '=', userId).execute();
    /** The binding's insert is running on this test's database (MySQL): the read before it is done.
     * (Asked of the process list: information_schema.innodb_trx is a cache that polling keeps stale.) */
    const bindingBeingInserted = async () =>
      Number(
        (
          await sql<{ n: number | string }>`select count(*) as n from information_schema.processlist
            where db = database() and info like 'insert into \`identities\`%'`.execute(h.db)
        ).rows[0]!.n,
      ) > 0;
    /** A second instance of the API on the same database whose password checks wait for the test. */
    async function heldChecks() {
      const gate = gatedHasher(h.deps.hasher);
      const deps = await createDeps({ ...h.deps, hasher: gate.hasher, jwtSecret: TEST_SECRET, weiboCallBudgetPerMinute: 600 });
      return { ...gate, caller: (browserId: string | null, token?: string) => callerOn(deps, { ip: freshIp(), browserId, token }) };
    }

    it('a Weibo sign-in waiting for the profile: the uid is a new Weibo user (bind_required)', async () => {
      const account = await boundAccount(h);
      const profileCalls = async () => (await h.simControl.stats()).requests.users_show ?? 0;
      const before = await profileCalls();
      // Weibo holds the profile answer long enough for the deletion to happen while it waits.
      await h.simControl.addFault({ endpoint: 'users_show', mode: 'slow', delayMs: 1500, times: 1 });
      const signingIn = h.weiboLogin(account.uid);
      await until(async () => (await profileCalls()) > before);
      await h.caller({ token: account.token, browserId: account.browserId }).account.delete({ password: account.password });
      expect((await signingIn).status).toBe('bind_required');
      expect(await sessionsOf(account.userId)).toEqual([]);
    });

    it('a password sign-in: BAD_CREDENTIALS, as for a name that does not exist', async () => {
      const account = await boundAccount(h);
      const held = await heldChecks();
      const signingIn = reasonOf(held.caller(h.newBrowser()).auth.login({ account: account.account, password: account.password }));
      await held.checking;
      await h.caller({ token: account.token }).account.delete({ password: account.password });
      held.release();
      expect(await signingIn).toBe('BAD_CREDENTIALS');
      expect(await sessionsOf(account.userId)).toEqual([]);
      expect(await eventsOf(account.userId)).toEqual([]);
    });

    it('a bind to it: BAD_CREDENTIALS, and the ticket still makes a new account', async () => {
      const account = await h.registerAccount();
      const uid = await h.newWeiboUser();
      const browserId = h.newBrowser();
      const login = await h.weiboLogin(uid, browserId);
      if (login.status !== 'bind_required') throw new Error('expected bind_required');
      const held = await heldChecks();
      const binding = reasonOf(
        held.caller(browserId).weibo.bind({ ticket: login.ticket, account: account.account, password: account.password }),
      );
      await held.checking;
      await h.caller({ token: account.token }).account.delete({ password: account.password });
      held.release();
      expect(await binding).toBe('BAD_CREDENTIALS');
      expect(await sessionsOf(Number(account.userId))).toEqual([]);
      const made = await h.caller({ browserId }).weibo.register({ ticket: login.ticket });
      expect(made.user.id).not.toBe(account.userId);
    });

    it('a connect whose binding is written just after the deletion (MySQL): UNAUTHENTICATED, nothing bound', async (ctx) => {
      // SQLite serialises writes: the connect's transaction reads the account and writes the
      // binding with no deletion in between. On MySQL its read sees the snapshot, the foreign key
      // the deletion.
      if (h.dialect !== 'mysql') ctx.skip();
      const account = await h.registerAccount();
      const uid = await h.newWeiboUser();
      const caller = h.caller({ browserId: h.newBrowser(), token: account.token });
      await caller.account.reauthenticate({ password: account.password });
      const { state } = await caller.weibo.authorizeUrl({ intent: 'connect' });
      const code = await h.mintCode(uid);
      const userId = Number(account.userId);
      // The deletion holds the account's row: the connect reads it (a snapshot read does not wait)
      // and then waits at the binding's insert, whose foreign key check needs that row.
      const connecting = await h.db.connection().execute(async (deletion) => {
        await sql`start transaction`.execute(deletion);
        await sql`select id from users where id = ${userId} for update`.execute(deletion);
        const connected = reasonOf(caller.weibo.connect({ code, state }));
        await until(bindingBeingInserted);
        await sql`delete from sessions where user_id = ${userId}`.execute(deletion);
        await sql`delete from users where id = ${userId}`.execute(deletion);
        await sql`commit`.execute(deletion);
        return connected;
      });
      expect(await connecting).toBe('UNAUTHENTICATED');
      expect(await h.db.selectFrom('identities').select('id').where('provider_uid', '=', uid).execute()).toEqual([]);
    });

    it('a re-authentication: UNAUTHENTICATED, and no event names the gone account', async () => {
      const account = await boundAccount(h);
      const held = await heldChecks();
      const reauthenticating = reasonOf(
        held.caller(account.browserId, account.token).account.reauthenticate({ password: account.password }),
      );
      await held.checking;
      await h.caller({ token: account.token }).account.delete({ password: account.password });
      held.release();
      expect(await reauthenticating).toBe('UNAUTHENTICATED');
      expect(await eventsOf(account.userId)).toEqual([]);
    });
  });

  it('revokes the grant at Weibo through the outbox', async () => {
    const account = await boundAccount(h);
    const before = await revokeCalls(h);
    await h.caller({ token: account.token }).account.delete({ password: account.password });
    await until(async () => (await outbox(h, account)).length === 0);
    expect(await revokeCalls(h)).toBe(before + 1);
    // Revoked at Weibo: the token Weibo gave for that login no longer works there.
    const alive = await h.db.selectFrom('identities').select('id').where('provider_uid', '=', account.uid).execute();
    expect(alive).toEqual([]);
  });

  it('retries a failed revoke with backoff until Weibo answers, from a restarted process too', async () => {
    const account = await boundAccount(h);
    await h.simControl.addFault({ endpoint: 'revokeoauth2', mode: '502', times: 2 });
    await h.caller({ token: account.token }).account.delete({ password: account.password });
    await firstAttemptFailed(h, account);
    const [first] = await outbox(h, account);
    expect(first!.next_attempt_at).toBeGreaterThan(h.clock.now);
    // Not yet due: nothing is tried.
    expect(await runDueRevocations(h.deps)).toEqual({ revoked: 0, retried: 0, dropped: 0 });
    h.clock.advance(REVOKE_RETRY_FIRST_MS * 2);
    expect(await runDueRevocations(h.deps)).toEqual({ revoked: 0, retried: 1, dropped: 0 });
    expect((await outbox(h, account))[0]!.attempts).toBe(2);
    // A new process (new deps on the same database) finds it and finishes it.
    const restarted = await createDeps({ ...h.deps, jwtSecret: TEST_SECRET, weiboCallBudgetPerMinute: 600 });
    h.clock.advance(REVOKE_RETRY_FIRST_MS * 4);
    expect(await runDueRevocations(restarted)).toEqual({ revoked: 1, retried: 0, dropped: 0 });
    expect(await outbox(h, account)).toEqual([]);
  });

  it('drops a revoke once the token is past its expiry', async () => {
    const account = await boundAccount(h);
    await h.simControl.addFault({ endpoint: 'revokeoauth2', mode: '502', times: 1 });
    await h.caller({ token: account.token }).account.delete({ password: account.password });
    await firstAttemptFailed(h, account);
    const [row] = await outbox(h, account);
    h.clock.advance(row!.token_expires_at - h.clock.now + 1);
    const before = await revokeCalls(h);
    expect(await runDueRevocations(h.deps)).toEqual({ revoked: 0, retried: 0, dropped: 1 });
    expect(await revokeCalls(h)).toBe(before);
    expect(await outbox(h, account)).toEqual([]);
  });

  it('makes each revoke once when two instances run the outbox at the same moment', async () => {
    const account = await boundAccount(h);
    await h.simControl.addFault({ endpoint: 'revokeoauth2', mode: '502', times: 1 });
    await h.caller({ token: account.token }).account.delete({ password: account.password });
    await firstAttemptFailed(h, account);
    h.clock.advance(REVOKE_RETRY_FIRST_MS * 2);
    const other = await createDeps({ ...h.deps, jwtSecret: TEST_SECRET, weiboCallBudgetPerMinute: 600 });
    const before = await revokeCalls(h);
    const runs = await Promise.all([runDueRevocations(h.deps), runDueRevocations(other)]);
    expect(runs.reduce((sum, run) => sum + run.revoked, 0)).toBe(1);
    expect(await revokeCalls(h)).toBe(before + 1);
  });

  it('leaves nothing half done when the database fails in the middle of the deletion', async () => {
    const account = await boundAccount(h);
    const count = async (table: 'identities' | 'sessions' | 'known_browsers' | 'users') =>
      (
        await h.db
          .selectFrom(table)
          .select(sql<number>`1`.as('one'))
          .where(table === 'users' ? 'id' : 'user_id', '=', account.userId)
          .execute()
      ).length;
    const before = { identities: await count('identities'), sessions: await count('sessions'), browsers: await count('known_browsers') };
    const events = await h.db.selectFrom('auth_events').select('id').where('user_id', '=', account.userId).execute();
    // The last statement of the deletion fails, after every other has run.
    if (h.dialect === 'sqlite') {
      await sql`create trigger fail_user_delete before delete on users begin select raise(abort, 'the database failed'); end`.execute(h.db);
    } else {
      await sql`create trigger fail_user_delete before delete on users for each row signal sqlstate '45000' set message_text = 'the database failed'`.execute(
        h.db,
      );
    }
    try {
      expect(await reasonOf(h.caller({ token: account.token }).account.delete({ password: account.password }))).toMatch(
        /INTERNAL|not an AppError/,
      );
    } finally {
      await sql`drop trigger fail_user_delete`.execute(h.db);
    }
    expect(await count('users')).toBe(1);
    expect({ identities: await count('identities'), sessions: await count('sessions'), browsers: await count('known_browsers') }).toEqual(
      before,
    );
    expect(await h.db.selectFrom('auth_events').select('id').where('user_id', '=', account.userId).execute()).toHaveLength(events.length);
    expect(await outbox(h, account)).toEqual([]);
    expect((await h.caller({ token: account.token }).auth.me()).user.id).toBe(String(account.userId));
    // And it can be deleted afterwards.
    await h.caller({ token: account.token }).account.delete({ password: account.password });
    expect(await count('users')).toBe(0);
  });
});
