/**
 * (2e) `pnpm admin` as the operator runs it (CONTRACT §6): the real process on a database the test
 * shares with it, on each database. Each command's output for a terminal and as JSON, its exit
 * code, its effect, and its event as the owner sees it through auth.activity; usage errors, an
 * unknown account, an unreachable or too old database; beside a running API; from the repository
 * root through the root's script. Nothing it prints holds a secret, hash or token.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { FileMigrationProvider, Migrator } from 'kysely/migration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import { openDatabase } from '../src/db/client.ts';
import { maskUid } from '../src/modules/operator/operator.dto.ts';
import { findUsers, showUser } from '../src/modules/operator/operator.service.ts';
import {
  ADMIN_ENTRY,
  type AdminRun,
  type AdminWorld,
  createAdminWorld,
  createSharedDatabase,
  REPO_ROOT,
  runProgram,
} from './support/admin-world.ts';
import { apiEnv, spawnApi } from './support/api-process.ts';
import { DIALECTS } from './support/databases.ts';
import { startSimulator } from './support/harness.ts';
import { call } from './support/http.ts';
import { accountWithWeibo, expectNoSecrets, type MadeAccount } from './support/operator.ts';

/** Exit 0, nothing on stderr, nothing secret. */
function expectDone(run: AdminRun, account: MadeAccount): void {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expectNoSecrets(run.stdout, account);
}

/** A failure: the exit code, one line on stderr (then the usage, for bad usage), nothing on stdout. */
function expectFailure(run: AdminRun, code: 1 | 2, line: RegExp): void {
  expect(run.stdout).toBe('');
  expect(run.code).toBe(code);
  const [first, ...rest] = run.stderr.trimEnd().split('\n');
  expect(first).toMatch(/^admin: /);
  expect(first).toMatch(line);
  if (code === 1) expect(rest).toEqual([]);
  else expect(rest.join('\n')).toContain('Usage: pnpm admin users <command>');
}

async function ownerActivity(w: AdminWorld, account: MadeAccount) {
  const signedIn = await w.caller().auth.login({ account: account.account, password: account.password! });
  return (await w.caller({ token: signedIn.session.token }).auth.activity()).events;
}

let sim: WeiboSimulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

describe.each(DIALECTS)('pnpm admin on %s', (dialect) => {
  let w: AdminWorld;
  beforeAll(async () => {
    w = await createAdminWorld(dialect, sim);
  });
  afterAll(async () => {
    await w.close();
  });

  it('finds and shows accounts for a terminal and as JSON, the uid masked, nothing secret', async () => {
    const bound = await accountWithWeibo(w, '命令行测试');
    const weiboSignIn = await w.weiboLogin(bound.uid);
    if (weiboSignIn.status !== 'signed_in') throw new Error('expected signed_in');
    bound.tokens.push(weiboSignIn.session.token);

    const found = await w.admin(['users', 'find', bound.account]);
    expectDone(found, bound);
    expect(found.stdout).toMatch(/^1 account matching "user_[0-9a-f]+":\nID +ACCOUNT +NAME +PASSWORD +STATUS +WEIBO +CREATED\n/);
    expect(found.stdout).toContain(`${maskUid(bound.uid)} 命令行测试`);
    expect(found.stdout).not.toContain(bound.uid);
    const foundJson = await w.admin(['users', 'find', bound.uid, '--json']);
    expectDone(foundJson, bound);
    expect(JSON.parse(foundJson.stdout)).toEqual(await findUsers(w.deps, bound.uid));
    expect(foundJson.stdout.replace(`"query": "${bound.uid}"`, '')).not.toContain(bound.uid);

    const shown = await w.admin(['users', 'show', bound.account.toUpperCase()]);
    expectDone(shown, bound);
    for (const line of [
      new RegExp(`^Account +${bound.account} \\(id ${bound.userId}\\)$`, 'm'),
      /^Password +yes$/m,
      /^Status +active$/m,
      new RegExp(`^Weibo +${maskUid(bound.uid).replace(/\*/g, '\\*')} 命令行测试$`, 'm'),
      /^ {2}last sign-in +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d$/m,
      /^Devices \(3 signed in\)$/m,
      /^Events \(latest \d+, newest first\)$/m,
      /^ {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d {2}sign_in_weibo +100\.64\./m,
    ])
      expect(shown.stdout).toMatch(line);
    expect(shown.stdout).not.toContain(bound.uid);
    const shownJson = await w.admin(['users', 'show', `id:${bound.userId}`, '--json']);
    expectDone(shownJson, bound);
    expect(JSON.parse(shownJson.stdout)).toEqual(await showUser(w.deps, bound.account));
  });

  it('disables: exit 0, every session ends at once, sign-in by password and by Weibo answers ACCOUNT_DISABLED; enable lets it back', async () => {
    const bound = await accountWithWeibo(w);
    const disabled = await w.admin(['users', 'disable', bound.account, '--reason', '涉嫌盗号，临时冻结']);
    expectDone(disabled, bound);
    expect(disabled.stdout).toBe(
      `${bound.account} (id ${bound.userId}) disabled: 2 sessions ended; signing in now answers ACCOUNT_DISABLED.\n` +
        'The owner sees this, with the reason, in the account’s activity.\n',
    );
    for (const token of bound.tokens) await expect(w.caller({ token }).auth.me()).rejects.toMatchObject({ reason: 'UNAUTHENTICATED' });
    await expect(w.caller().auth.login({ account: bound.account, password: bound.password! })).rejects.toMatchObject({
      reason: 'ACCOUNT_DISABLED',
    });
    await expect(w.weiboLogin(bound.uid)).rejects.toMatchObject({ reason: 'ACCOUNT_DISABLED' });

    const again = await w.admin(['users', 'disable', bound.account, '--reason', 'again', '--json']);
    expectDone(again, bound);
    expect(JSON.parse(again.stdout)).toMatchObject({ action: 'disable', changed: false });

    const enabled = await w.admin(['users', 'enable', bound.account, '--reason=核实为本人，解除冻结', '--json']);
    expectDone(enabled, bound);
    expect(JSON.parse(enabled.stdout)).toEqual({
      action: 'enable',
      account: { id: String(bound.userId), account: bound.account },
      changed: true,
      reason: '核实为本人，解除冻结',
      sessionsEnded: 0,
      weiboRevoke: 'none',
    });
    expect((await w.weiboLogin(bound.uid)).status).toBe('signed_in');
    const events = (await ownerActivity(w, bound)).filter((e) => e.kind.startsWith('operator_'));
    expect(events.map((e) => [e.kind, e.reason])).toEqual([
      ['operator_enabled', '核实为本人，解除冻结'],
      ['operator_disabled', '涉嫌盗号，临时冻结'],
    ]);
  });

  it('unbinds: the binding is gone and the revoke reaches Weibo', async () => {
    const bound = await accountWithWeibo(w);
    const before = await w.revokeCalls();
    const unbound = await w.admin(['users', 'unbind', bound.account, '--reason', '用户申请解绑']);
    expectDone(unbound, bound);
    expect(unbound.stdout).toContain('Weibo binding removed; the grant at Weibo is revoked.');
    expect(await w.revokeCalls()).toBe(before + 1);
    expect((await w.caller({ token: bound.tokens[0] }).auth.me()).identities).toEqual([]);
    const events = (await ownerActivity(w, bound)).filter((e) => e.kind === 'operator_unbound');
    expect(events.map((e) => e.reason)).toEqual(['用户申请解绑']);
  });

  it('signs out every session', async () => {
    const bound = await accountWithWeibo(w);
    const signedOut = await w.admin(['users', 'sign-out', `ID:${bound.userId}`, '--reason', '设备丢失', '--json']);
    expectDone(signedOut, bound);
    expect(JSON.parse(signedOut.stdout)).toMatchObject({ action: 'sign-out', changed: true, sessionsEnded: 2 });
    for (const token of bound.tokens) await expect(w.caller({ token }).auth.me()).rejects.toMatchObject({ reason: 'UNAUTHENTICATED' });
    const events = (await ownerActivity(w, bound)).filter((e) => e.kind === 'operator_signed_out');
    expect(events.map((e) => e.reason)).toEqual(['设备丢失']);
  });

  it('deletes as account.delete does, the reason on the anonymous event, the grant revoked', async () => {
    const bound = await accountWithWeibo(w);
    const before = await w.revokeCalls();
    const deleted = await w.admin(['users', 'delete', bound.account, '--reason', '用户书面申请注销 #4021', '--json']);
    expectDone(deleted, bound);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ action: 'delete', changed: true, sessionsEnded: 2, weiboRevoke: 'revoked' });
    expect(await w.revokeCalls()).toBe(before + 1);
    await expect(w.caller({ token: bound.tokens[0] }).auth.me()).rejects.toMatchObject({ reason: 'UNAUTHENTICATED' });
    const event = await w.db
      .selectFrom('auth_events')
      .selectAll()
      .where('kind', '=', 'account_deleted')
      .where('reason', '=', '用户书面申请注销 #4021')
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({ user_id: null, account_key: null, ip: null });
    expectFailure(await w.admin(['users', 'show', bound.account]), 1, new RegExp(`^admin: no account named "${bound.account}"$`));
  });

  it('answers an unknown account with exit 1 and one line, changing nothing', async () => {
    const bound = await accountWithWeibo(w);
    expectFailure(await w.admin(['users', 'show', 'nobody_at_all']), 1, /^admin: no account named "nobody_at_all"$/);
    expectFailure(await w.admin(['users', 'disable', 'nobody_at_all', '--reason', 'x', '--json']), 1, /no account named/);
    expectFailure(await w.admin(['users', 'show', String(bound.userId)]), 1, new RegExp(`write id:${bound.userId}\\)$`));
    expectFailure(await w.admin(['users', 'show', 'id:99999999']), 1, /^admin: no account with id "99999999"$/);
    expect((await w.caller({ token: bound.tokens[0] }).auth.me()).user.account).toBe(bound.account);
  });

  it('prints names and agents from outside as text, never as terminal control sequences', async () => {
    const bound = await accountWithWeibo(w);
    const hostile = '\u001b]0;pwned\u0007红\u001b[31m色\u009b2J\u202e';
    await w.db.updateTable('users').set({ display_name: hostile }).where('id', '=', bound.userId).execute();
    for (const command of ['find', 'show']) {
      const run = await w.admin(['users', command, bound.account]);
      expectDone(run, bound);
      expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
      expect(run.stdout).toContain('\ufffd]0;pwned\ufffd红\ufffd[31m色\ufffd2J\ufffd');
      const json = await w.admin(['users', command, bound.account, '--json']);
      expect(json.stdout).not.toMatch(/[\u007f-\u009f\u202e]/);
      const parsed = JSON.parse(json.stdout) as { displayName?: string; accounts?: { displayName: string }[] };
      expect(parsed.displayName ?? parsed.accounts![0]!.displayName).toBe(hostile);
    }
  });

  it('refuses a database whose schema is older than the code, and migrates nothing', async () => {
    const database = await createSharedDatabase(dialect);
    const client = openDatabase(
      database.url.startsWith('sqlite:') ? { kind: 'sqlite', file: database.url.slice(7) } : { kind: 'mysql', url: database.url },
    );
    try {
      const migrator = new Migrator({
        db: client.db,
        provider: new FileMigrationProvider({
          fs: fsp,
          path,
          migrationFolder: path.join(REPO_ROOT, 'apps/api/src/db/migrations'),
          import: (file) => import(pathToFileURL(file).href),
        }),
      });
      expectFailure(
        await w.admin(['users', 'find', 'x'], { DATABASE_URL: database.url }),
        1,
        /older than this code \(not yet run: 0001_initial, /,
      );
      await migrator.migrateTo('0003_bounded_work');
      const run = await w.admin(['users', 'disable', 'x', '--reason', 'x'], { DATABASE_URL: database.url });
      expectFailure(run, 1, /^admin: the database at \S+ is older than this code \(not yet run: 0004_account_life\): run pnpm migrate/);
      expect((await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name)).toEqual(['0004_account_life']);
    } finally {
      await client.close();
      await database.drop();
    }
  });

  it('works beside a running API on the same database: its sessions end at once, its sign-in answers ACCOUNT_DISABLED', async () => {
    const api = await spawnApi(apiEnv(sim.url, { DATABASE_URL: w.env.DATABASE_URL! }));
    try {
      const account = await w.registerAccount();
      const login = await call<{ session: { token: string } }>(api.url, 'auth.login', {
        account: account.account,
        password: account.password,
      });
      expect(login.status).toBe(200);
      const token = login.data.session.token;
      expect((await call(api.url, 'auth.me', undefined, { token })).status).toBe(200);
      const run = await w.admin(['users', 'disable', account.account, '--reason', 'live']);
      expectDone(run, {
        account: account.account,
        userId: Number(account.userId),
        password: null,
        uid: null,
        tokens: [token],
        storedWeiboToken: null,
      });
      expect((await call(api.url, 'auth.me', undefined, { token })).reason).toBe('UNAUTHENTICATED');
      expect((await call(api.url, 'auth.login', { account: account.account, password: account.password })).reason).toBe('ACCOUNT_DISABLED');
    } finally {
      await api.stop();
    }
  });
});

describe('pnpm admin, whatever the database', () => {
  it('answers a database it cannot reach, or a SQLite file that is not there, with exit 1 and one line, creating nothing', async () => {
    const env = apiEnv('http://127.0.0.1:9', {});
    const unreachable = await runProgram(process.execPath, [ADMIN_ENTRY, 'users', 'find', 'x'], {
      ...env,
      DATABASE_URL: 'mysql://root:hunter2-secret@127.0.0.1:9/test',
    });
    expectFailure(unreachable, 1, /^admin: cannot read the database at mysql:\/\/127\.0\.0\.1:9\/test: .*ECONNREFUSED/);
    expect(unreachable.stderr).not.toContain('hunter2');

    const missing = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wl-admin-')), 'none', 'app.sqlite');
    const run = await runProgram(process.execPath, [ADMIN_ENTRY, 'users', 'find', 'x'], {
      ...env,
      DATABASE_URL: `sqlite:${missing}`,
    });
    expectFailure(run, 1, /^admin: no database at sqlite:\S+app\.sqlite: check DATABASE_URL/);
    expect(fs.existsSync(path.dirname(missing))).toBe(false);

    expectFailure(
      await runProgram(process.execPath, [ADMIN_ENTRY, 'users', 'find', 'x'], {
        ...env,
        DATABASE_URL: 'postgres://x',
      }),
      1,
      /^admin: configuration error: DATABASE_URL: must start with mysql:\/\/ or sqlite:$/,
    );
  });

  it('answers bad usage with exit 2, one line and the usage, before it opens anything', async () => {
    // DATABASE_URL names no database: bad usage is answered before the tool looks at it.
    const env = { ...apiEnv('http://127.0.0.1:9', {}), DATABASE_URL: 'mysql://root@127.0.0.1:9/none' };
    const admin = (args: string[]) => runProgram(process.execPath, [ADMIN_ENTRY, ...args], env);
    const cases: [string[], RegExp][] = [
      [[], /a command is needed$/],
      [['users'], /a command is needed after "users"/],
      [['users', 'frob', 'alice'], /unknown command "users frob"/],
      [['users', 'constructor', 'alice'], /unknown command "users constructor"/],
      [['accounts', 'find', 'x'], /unknown command group "accounts"/],
      [['users', 'show'], /users show needs an account/],
      [['users', 'find'], /users find needs the text to find/],
      [['users', 'show', 'alice', 'extra'], /takes one argument/],
      [['users', 'show', 'alice', '--reason', 'x'], /changes nothing and takes no --reason/],
      [['users', 'find', 'x', '--verbose'], /--verbose/],
      ...['disable', 'enable', 'unbind', 'sign-out', 'delete'].map((name): [string[], RegExp] => [
        ['users', name, 'alice'],
        new RegExp(`users ${name} needs --reason TEXT`),
      ]),
      [['users', 'disable', 'alice', '--reason', '   '], /a reason is required/],
      [['users', 'disable', 'alice', '--reason', 'x'.repeat(256)], /longer than 255 characters/],
      [['users', 'delete', 'alice', '--reason', 'two\nlines'], /one line of text/],
    ];
    const runs = await Promise.all(cases.map(([args]) => admin(args)));
    runs.forEach((run, i) => expectFailure(run, 2, cases[i]![1]));

    const help = await admin(['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('users disable <account> --reason TEXT');
  });

  it('runs from the repository root as `pnpm admin`, --json reaching the tool and stdout holding only the document', async () => {
    const w = await createAdminWorld('sqlite', sim);
    try {
      const bound = await accountWithWeibo(w, '根目录');
      const run = await runProgram('pnpm', ['admin', 'users', 'find', bound.account, '--json'], { ...w.env, PATH: process.env.PATH! });
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({
        accounts: [{ account: bound.account, weibo: { uid: maskUid(bound.uid), screenName: '根目录' } }],
      });
    } finally {
      await w.close();
    }
  });
});
