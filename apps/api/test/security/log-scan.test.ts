/**
 * Logs hold no credentials: the real API process (node src/main.ts) at LOG_LEVEL trace, debug and
 * info is taken through every procedure, the Weibo round trip (also failing), the `/weibo?code=`
 * page and the revocation callback, and then its whole stdout and stderr are searched for every
 * password, code, state, browser cookie, ticket, session JWT, Weibo access token and secret used;
 * and the database's files for every Weibo access token (stored sealed, 2e).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createScratchMysqlDatabase } from '@weibo-login/test-support';
import { DEMO_APP, type WeiboSimulator } from '@weibo-login/weibo-sim';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, MYSQL_URL } from '../support/databases.ts';
import { REDIRECT_URI, startSimulator } from '../support/harness.ts';
import { apiEnv, spawnApi } from '../support/api-process.ts';
import { OTHER_SECRET, resignedWith } from '../support/forge.ts';
import { Browser } from '../support/http.ts';
import { type RecordingProxy, startRecordingProxy } from '../support/recording-proxy.ts';

let sim: WeiboSimulator;
let proxy: RecordingProxy;
let tmp: string;
beforeAll(async () => {
  sim = await startSimulator();
  proxy = await startRecordingProxy(sim.url);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-log-scan-'));
  fs.mkdirSync(path.join(tmp, 'web'));
  fs.writeFileSync(path.join(tmp, 'web', 'index.html'), '<!doctype html><title>app</title>');
});
afterAll(async () => {
  await proxy.close();
  await sim.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const newWeiboUser = async () => (await sim.control.createUser({ screenName: '日志' })).uid;
const mintCode = (uid: string) => sim.control.mintCode({ uid, redirectUri: REDIRECT_URI });

/** Drives every credential-bearing path once and returns every secret that passed through. */
async function exercise(base: string, secrets: string[]): Promise<void> {
  const keep = <T extends string>(value: T): T => (secrets.push(value), value);
  const tag = Math.random().toString(36).slice(2, 8);
  const browser = new Browser(base);
  const passwordA = keep(`pa-Secret-${tag}-1`);
  const a = await browser.call<{ session: { token: string } }>('auth.register', { account: `log_a_${tag}`, password: passwordA });
  keep(a.data.session.token);
  await browser.call('auth.login', { account: `log_a_${tag}`, password: keep(`pw-Wrong-${tag}-1`) });
  const relogin = await browser.call<{ session: { token: string } }>('auth.login', { account: `log_a_${tag}`, password: passwordA });
  const tokenA = keep(relogin.data.session.token);

  // Weibo login → ticket → bind (a wrong password first), then a direct sign-in.
  const uid1 = await newWeiboUser();
  const first = await browser.call<{ state: string }>('weibo.authorizeUrl', { redirectTo: '/after' });
  keep(first.data.state);
  keep(browser.cookie.split('=')[1]!);
  const code1 = keep(await mintCode(uid1));
  const ticketed = await browser.call<{ ticket: string }>('weibo.login', { code: code1, state: first.data.state });
  const ticket1 = keep(ticketed.data.ticket);
  await browser.call('weibo.bind', { ticket: ticket1, account: `log_a_${tag}`, password: keep(`pw-Wrong-${tag}-2`) });
  keep(
    (await browser.call<{ session: { token: string } }>('weibo.bind', { ticket: ticket1, account: `log_a_${tag}`, password: passwordA }))
      .data.session.token,
  );
  const again = await browser.call<{ state: string }>('weibo.authorizeUrl');
  keep(again.data.state);
  keep(
    (await browser.call<{ session: { token: string } }>('weibo.login', { code: keep(await mintCode(uid1)), state: again.data.state })).data
      .session.token,
  );

  // Register from a ticket.
  const uid2 = await newWeiboUser();
  const s2 = await browser.call<{ state: string }>('weibo.authorizeUrl');
  keep(s2.data.state);
  const t2 = await browser.call<{ ticket: string }>('weibo.login', { code: keep(await mintCode(uid2)), state: s2.data.state });
  keep(t2.data.ticket);
  const passwordB = keep(`pb-Secret-${tag}-2`);
  keep(
    (
      await browser.call<{ session: { token: string } }>('weibo.register', {
        ticket: t2.data.ticket,
        account: `log_b_${tag}`,
        password: passwordB,
      })
    ).data.session.token,
  );

  // Connect from the settings page, then unbind (a wrong password first).
  const passwordC = keep(`pc-Secret-${tag}-3`);
  const c = await browser.call<{ session: { token: string } }>('auth.register', { account: `log_c_${tag}`, password: passwordC });
  const tokenC = keep(c.data.session.token);
  await browser.call('account.reauthenticate', { password: passwordC }, { token: tokenC });
  const s3 = await browser.call<{ state: string }>('weibo.authorizeUrl', { intent: 'connect' }, { token: tokenC });
  keep(s3.data.state);
  await browser.call('weibo.connect', { code: keep(await mintCode(await newWeiboUser())), state: s3.data.state }, { token: tokenC });
  await browser.call('weibo.unbind', { password: keep(`pw-Wrong-${tag}-3`) }, { token: tokenC });
  await browser.call('weibo.unbind', { password: passwordC }, { token: tokenC });

  // Weibo failing at the token exchange and at users/show; a spent code.
  await sim.control.addFault({ endpoint: 'access_token', mode: '500', times: 1 });
  const s4 = await browser.call<{ state: string }>('weibo.authorizeUrl');
  await browser.call('weibo.login', { code: keep(await mintCode(await newWeiboUser())), state: keep(s4.data.state) });
  await sim.control.addFault({ endpoint: 'users_show', mode: 'garbage', times: 1 });
  const s5 = await browser.call<{ state: string }>('weibo.authorizeUrl');
  await browser.call('weibo.login', { code: keep(await mintCode(await newWeiboUser())), state: keep(s5.data.state) });
  const s6 = await browser.call<{ state: string }>('weibo.authorizeUrl');
  await browser.call('weibo.login', { code: code1, state: keep(s6.data.state) });

  // The browser's return to /weibo?code=&state= (the SPA page served by the API).
  const s7 = await browser.call<{ state: string }>('weibo.authorizeUrl');
  const code7 = keep(await mintCode(uid1));
  await fetch(`${base}/weibo?code=${code7}&state=${encodeURIComponent(keep(s7.data.state))}`);

  // Clients that get it wrong: an over-long password, a spent ticket, a forged token, and a
  // mutation sent as a GET with the password in the address.
  await browser.call('auth.login', { account: `log_a_${tag}`, password: keep(`pw-TooLong-${tag}-${'x'.repeat(80)}`) });
  await browser.call('weibo.bind', { ticket: ticket1, account: `log_a_${tag}`, password: passwordA });
  await browser.call('auth.me', undefined, { token: keep(resignedWith(tokenA, OTHER_SECRET)) });
  await fetch(
    `${base}/trpc/auth.login?input=${encodeURIComponent(JSON.stringify({ account: `log_a_${tag}`, password: keep(`pw-InUrl-${tag}-4`) }))}`,
  );

  // Weibo's revocation callback, then both kinds of logout.
  await fetch(`${base}/api/weibo/revoked`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `source=${DEMO_APP.clientId}&uid=${uid1}&auth_end=1`,
  });
  await browser.call('auth.logout', undefined, { token: tokenA });
  await browser.call('auth.logout', { everywhere: true }, { token: tokenC });
}

/** Each secret, and the forms a log line could carry it in. */
function forms(secret: string): string[] {
  const all = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
  // A JWT's signature alone identifies it.
  if (secret.split('.').length === 3 && secret.startsWith('eyJ')) all.push(secret.split('.')[2]!);
  return all.filter((form) => form.length >= 8);
}

describe('logs hold no credentials', () => {
  it.each(['trace', 'debug', 'info'])('at LOG_LEVEL=%s', async (level) => {
    const jwtSecret = `log-scan-jwt-secret-${level}-0123456789abcdef`;
    const api = await spawnApi(
      apiEnv(proxy.url, {
        DATABASE_URL: `sqlite:${path.join(tmp, `${level}.sqlite`)}`,
        JWT_SECRET: jwtSecret,
        WEB_DIST: path.join(tmp, 'web'),
        LOG_LEVEL: level,
        BCRYPT_COST: '10',
      }),
    );
    const secrets: string[] = [jwtSecret, DEMO_APP.clientSecret];
    const answersBefore = proxy.answers.length;
    try {
      await exercise(api.url, secrets);
    } finally {
      expect(await api.stop()).toEqual({ code: 0, signal: null });
    }
    for (const answer of proxy.answers.slice(answersBefore)) {
      const token = /"access_token"\s*:\s*"([^"]+)"/.exec(answer)?.[1];
      if (token) secrets.push(token);
    }
    expect(secrets.filter((s) => s.startsWith('2.00')).length, 'access tokens seen').toBeGreaterThanOrEqual(5);

    // (2e) Nor does the database: every byte of its files (free pages and the WAL included) is
    // searched for each access token Weibo handed out in plaintext; they are stored sealed.
    const databaseBytes = ['', '-wal', '-shm']
      .map((suffix) => path.join(tmp, `${level}.sqlite${suffix}`))
      .filter((file) => fs.existsSync(file))
      .map((file) => fs.readFileSync(file).toString('latin1'))
      .join('\n');
    expect(databaseBytes.length).toBeGreaterThan(10_000);
    expect(databaseBytes).toContain('wlenc1.');
    expect(secrets.filter((s) => s.startsWith('2.00') && databaseBytes.includes(s))).toEqual([]);

    const output = api.output();
    const lines = output.split('\n').filter(Boolean);
    // The scan means something only if the requests were logged at all.
    expect(lines.length, output.slice(0, 2000)).toBeGreaterThan(level === 'info' ? 20 : 40);
    const leaks = secrets.flatMap((secret) =>
      forms(secret)
        .filter((form) => output.includes(form))
        .map((form) => ({ secret, line: lines.find((l) => l.includes(form)) })),
    );
    expect(leaks).toEqual([]);

    // The Weibo client logs its failures on the request's logger: each line names the request
    // (requestId) it happened in, beside the step that failed.
    const weiboFailures = lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.provider === 'weibo');
    expect(weiboFailures.map((line) => line.step)).toEqual(expect.arrayContaining(['access_token', 'users_show']));
    for (const line of weiboFailures) expect(line.requestId, JSON.stringify(line)).toEqual(expect.any(String));
  });
});

/**
 * mysql2 writes the failed statement, values and all, onto its errors (`err.sql`): an access
 * token in a bind ticket, a session id, a password hash. The real process on MySQL is made to
 * fail inside exactly those inserts (tables renamed away, a trigger that refuses new users) and
 * its log must still name each error by its code, and hold none of the values.
 *
 * Without db/client.ts's withoutStatement (checked in a scratch copy of the repository with
 * `callback?.(error, …)` in place of `callback?.(withoutStatement(error), …)`): the log lines
 * of all three errors carry "sql": "insert into `bind_tickets` … '2.00…'" and so on, and both
 * levels fail on the access token, the `sql` field and the bcrypt hash.
 */
describe.skipIf(!DIALECTS.includes('mysql'))('driver errors on MySQL are logged by their code, never with their statement', () => {
  it.each(['info', 'trace'])('at LOG_LEVEL=%s', async (level) => {
    const scratch = await createScratchMysqlDatabase(MYSQL_URL, 'wl_logscan');
    const api = await spawnApi(
      apiEnv(proxy.url, { DATABASE_URL: scratch.url, LOG_LEVEL: level, WEB_DIST: path.join(tmp, 'web'), BCRYPT_COST: '10' }),
    );
    const secrets: string[] = [];
    const keep = <T extends string>(value: T): T => (secrets.push(value), value);
    const answersBefore = proxy.answers.length;
    const admin = await createConnection({ uri: scratch.url });
    try {
      const tag = Math.random().toString(36).slice(2, 8);
      const browser = new Browser(api.url);
      const password = keep(`pd-Secret-${tag}-1`);
      const registered = await browser.call<{ session: { token: string } }>('auth.register', { account: `drv_${tag}`, password });
      expect(registered.reason).toBe('ok');
      keep(registered.data.session.token);
      const [[stored]] = (await admin.query('select password_hash from users')) as unknown as [{ password_hash: string }[]];
      keep(stored!.password_hash);

      // The failures: every insert below now meets an error carrying its statement.
      await admin.query('rename table bind_tickets to bind_tickets_away, sessions to sessions_away');
      await admin.query(
        "create trigger users_refused before insert on users for each row signal sqlstate '45000' set message_text = 'refused by the log-scan test'",
      );

      // A Weibo login of a new user: the bind ticket's insert holds the access token.
      const s1 = await browser.call<{ state: string }>('weibo.authorizeUrl');
      keep(s1.data.state);
      keep(browser.cookie.split('=')[1]!);
      const login = await browser.call('weibo.login', { code: keep(await mintCode(await newWeiboUser())), state: s1.data.state });
      expect(login.reason).toBe('INTERNAL');
      // A sign-in: the session's insert holds the session id.
      const signIn = await browser.call('auth.login', { account: `drv_${tag}`, password });
      expect(signIn.reason).toBe('INTERNAL');
      // A registration: the user's insert holds the new password's bcrypt hash.
      const register = await browser.call('auth.register', { account: `drv2_${tag}`, password: keep(`pe-Secret-${tag}-2`) });
      expect(register.reason).toBe('INTERNAL');
    } finally {
      await admin.end();
      expect(await api.stop()).toEqual({ code: 0, signal: null });
      await scratch.drop();
    }
    for (const answer of proxy.answers.slice(answersBefore)) {
      const token = /"access_token"\s*:\s*"([^"]+)"/.exec(answer)?.[1];
      if (token) secrets.push(token);
    }
    expect(secrets.filter((s) => s.startsWith('2.00')).length, 'the access token seen').toBe(1);

    const output = api.output();
    const lines = output.split('\n').filter(Boolean);
    // …and never with a value: no secret, no statement, no id or hash of any kind.
    const leaks = secrets.flatMap((secret) =>
      forms(secret)
        .filter((form) => output.includes(form))
        .map((form) => ({ secret, line: lines.find((l) => l.includes(form)) })),
    );
    expect(leaks).toEqual([]);
    for (const line of lines) {
      let logged: unknown;
      try {
        logged = JSON.parse(line);
      } catch {
        continue;
      }
      const { hostname: _hostname, ...fields } = logged as Record<string, unknown>;
      const text = JSON.stringify(fields);
      expect(text, 'a statement').not.toMatch(/"sql"\s*:/);
      expect(text, 'a statement').not.toMatch(/\b(insert into|values \(|update `|delete from)/i);
      expect(text, 'a bcrypt hash').not.toMatch(/\$2[aby]\$\d\d\$/);
      // Session and ticket ids are 32 hex digits, their hashes and browser hashes 64.
      expect(text, 'an id or a hash').not.toMatch(/[0-9a-f]{32}/i);
    }
    // Each error is still logged, and says what it was: errno and SQL state, and the driver's code.
    const errors = lines
      .filter((line) => line.includes('"msg":"unexpected error"'))
      .map((line) => (JSON.parse(line) as { err: { errno?: number; sqlState?: string; code?: string } }).err);
    expect(errors.map((err) => err.errno)).toEqual([1146, 1146, 1644]);
    expect(errors.map((err) => err.sqlState)).toEqual(['42S02', '42S02', '45000']);
    expect(
      errors.map((err) => err.code),
      "the driver's error codes",
    ).toEqual(['ER_NO_SUCH_TABLE', 'ER_NO_SUCH_TABLE', 'ER_SIGNAL_EXCEPTION']);
  });
});
