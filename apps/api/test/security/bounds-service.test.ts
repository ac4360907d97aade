/**
 * Service bounds, in-process on SQLite and MySQL: registrations (name check before the hash,
 * per address, in total, IPv6 per /64), outstanding states, Weibo calls, revocation hints, new
 * account names, batched sweeps. "Without it" above a test says how it was seen to fail without
 * its bound.
 */
import { randomBytes } from 'node:crypto';
import { DEMO_APP } from '@weibo-login/weibo-sim';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeps } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/client.ts';
import type { Db } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import type { AppDeps } from '../../src/deps.ts';
import {
  OUTSTANDING_STATES_PER_ADDRESS,
  OUTSTANDING_STATES_PER_BROWSER,
  REGISTRATIONS_PER_ADDRESS,
  REGISTRATIONS_TOTAL,
  REVOCATION_QUEUE_MAX,
  REVOCATION_RECHECK_MS,
  SWEEP_BATCH_ROWS,
  SWEEP_MAX_BATCHES,
  WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS,
  WEIBO_CALLS_PER_ADDRESS,
  WEIBO_CALL_BUDGET_PER_MINUTE_DEFAULT,
} from '../../src/limits/bounds.ts';
import { sweepExpired } from '../../src/maintenance.ts';
import { WEIBO } from '../../src/modules/identities/identities.repository.ts';
import { accountKeyOf } from '../../src/modules/users/users.repository.ts';
import { handleRevocationHint } from '../../src/modules/weibo-login/weibo-binding.service.ts';
import { createServer, type Server } from '../../src/server.ts';
import { createTestDatabase } from '../support/databases.ts';
import { describeOnEachDatabase, errorOf, type Harness, REDIRECT_URI, reasonOf, TEST_SECRET } from '../support/harness.ts';
import { DAY_MS, PASSWORD, hex, simStats, until, callerOn, countingHasher, freshIp } from '../support/bounds.ts';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryId,
  QueryResult,
  RootOperationNode,
  TableNode,
  UnknownRow,
} from 'kysely';

/** Records every DELETE a Kysely instance runs: its table and how many rows it deleted. */
class DeleteRecorder implements KyselyPlugin {
  readonly deletes: { table: string; rows: number }[] = [];
  readonly #tables = new WeakMap<QueryId, string>();
  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind === 'DeleteQueryNode') this.#tables.set(queryId, (node.from.froms[0] as TableNode).table.identifier.name);
    return node;
  }
  async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const table = this.#tables.get(queryId);
    if (table !== undefined) this.deletes.push({ table, rows: Number(result.numAffectedRows ?? 0n) });
    return result;
  }
}

async function insertInChunks(db: Db, table: 'oauth_states' | 'auth_events', rows: object[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 250)
    await db
      .insertInto(table)
      .values(rows.slice(i, i + 250) as never)
      .execute();
}

const expiredStates = (count: number, now: number, tag: string) =>
  Array.from({ length: count }, (_, i) => ({
    id: `${tag}${i.toString(16).padStart(64 - tag.length, '0')}`,
    browser_hash: 'b'.repeat(64),
    address_key: 'sweep',
    intent: 'login',
    user_id: null,
    redirect_to: '/',
    expires_at: now - 1000 - i,
  }));

describeOnEachDatabase('service bounds', (h: Harness) => {
  /** The harness's database, Weibo client, hasher and clock, with counters of their own (createDeps). */
  const freshDeps = (weiboCallBudgetPerMinute: number) =>
    createDeps({
      db: h.db,
      jwtSecret: TEST_SECRET,
      weibo: h.deps.weibo,
      hasher: h.deps.hasher,
      log: h.deps.log,
      now: h.deps.now,
      weiboCallBudgetPerMinute,
    });

  const account = () => `bd_${hex()}`;

  /** A bind ticket for a fresh Weibo user, in this browser. */
  async function ticketIn(browserId: string): Promise<string> {
    const login = await h.weiboLogin(await h.newWeiboUser(), browserId);
    if (login.status !== 'bind_required') throw new Error('expected bind_required');
    return login.ticket;
  }

  // ── Registrations ─────────────────────────────────────────────────────────────────────────

  // Without it: with the name check moved after the hash in users.service.ts, or in
  // weibo-login.service.ts (each checked alone), the taken names cost 2 hashes.
  it('answers a taken name ACCOUNT_TAKEN without asking for a hash (auth.register and weibo.register)', async () => {
    const taken = await h.registerAccount();
    const { hasher, calls } = countingHasher(h.deps.hasher);
    const deps = { ...h.deps, hasher };
    for (const name of [taken.account, taken.account.toUpperCase()]) {
      expect(await reasonOf(callerOn(deps, { ip: freshIp() }).auth.register({ account: name, password: 'another password 1' }))).toBe(
        'ACCOUNT_TAKEN',
      );
      const browserId = h.newBrowser();
      const ticket = await ticketIn(browserId);
      expect(
        await reasonOf(
          callerOn(deps, { ip: freshIp(), browserId }).weibo.register({ ticket, account: name, password: 'another password 1' }),
        ),
      ).toBe('ACCOUNT_TAKEN');
    }
    expect(calls.hash).toBe(0);
    // The count sees hashes at all: a free name is one hash.
    await callerOn(deps, { ip: freshIp() }).auth.register({ account: account(), password: PASSWORD });
    expect(calls.hash).toBe(1);
  });

  // Without it: with REGISTRATIONS_PER_ADDRESS's points raised to 1000 where rate-limits.ts uses
  // it, the 11th registration from the address succeeds.
  it('allows REGISTRATIONS_PER_ADDRESS new accounts per address, then TOO_MANY_ATTEMPTS (rate) with a wait; another address still registers', async () => {
    const { hasher, calls } = countingHasher(h.deps.hasher);
    const deps = { ...h.deps, hasher };
    const ip = freshIp();
    for (let i = 0; i < REGISTRATIONS_PER_ADDRESS.points; i++)
      await callerOn(deps, { ip }).auth.register({ account: account(), password: PASSWORD });
    const hashes = calls.hash;
    const refused = await errorOf(callerOn(deps, { ip }).auth.register({ account: account(), password: PASSWORD }));
    expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(refused.details.limit).toBe('rate');
    expect(refused.details.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.details.retryAfterSeconds).toBeLessThanOrEqual(REGISTRATIONS_PER_ADDRESS.windowSeconds);
    // weibo.register counts against the same allowance.
    const browserId = h.newBrowser();
    const ticket = await ticketIn(browserId);
    const viaWeibo = await errorOf(callerOn(deps, { ip, browserId }).weibo.register({ ticket, account: account(), password: PASSWORD }));
    expect(viaWeibo.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(viaWeibo.details.limit).toBe('rate');
    expect(calls.hash, 'a refused registration costs no hash').toBe(hashes);
    // Another address is not affected, and the ticket still works from there.
    await callerOn(deps, { ip: freshIp(), browserId }).weibo.register({ ticket, account: account(), password: PASSWORD });
    await callerOn(deps, { ip: freshIp() }).auth.register({ account: account(), password: PASSWORD });
  });

  // Without it: with addressKeyOf returning every address as it is, the 11th address of the /64 registers.
  it('counts the IPv6 addresses of one /64 together, and another /64 apart', async () => {
    const prefix = `2001:db8:${hex(2)}:${hex(2)}`;
    for (let i = 0; i < REGISTRATIONS_PER_ADDRESS.points; i++)
      await h.caller({ ip: `${prefix}::${(i + 1).toString(16)}` }).auth.register({ account: account(), password: PASSWORD });
    const sameBlock = await errorOf(
      h.caller({ ip: `${prefix}:ffff:ffff:ffff:ffff` }).auth.register({ account: account(), password: PASSWORD }),
    );
    expect(sameBlock.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(sameBlock.details.limit).toBe('rate');
    // The next /64 up has its own allowance.
    const [a, b, c, d] = prefix.split(':');
    const next = `${a}:${b}:${c}:${(parseInt(d!, 16) ^ 1).toString(16)}`;
    await h.caller({ ip: `${next}::1` }).auth.register({ account: account(), password: PASSWORD });
  });

  // Without it: with REGISTRATIONS_TOTAL's points raised where rate-limits.ts uses it, the
  // registration past the total succeeds.
  it('holds all addresses together to REGISTRATIONS_TOTAL', async () => {
    const deps = await freshDeps(WEIBO_CALL_BUDGET_PER_MINUTE_DEFAULT);
    let left = REGISTRATIONS_TOTAL.points;
    const worker = async () => {
      while (left-- > 0) await callerOn(deps, { ip: freshIp() }).auth.register({ account: account(), password: PASSWORD });
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const refused = await errorOf(callerOn(deps, { ip: freshIp() }).auth.register({ account: account(), password: PASSWORD }));
    expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(refused.details.limit).toBe('rate');
    expect(refused.details.retryAfterSeconds).toBeLessThanOrEqual(REGISTRATIONS_TOTAL.windowSeconds);
  });

  // ── Outstanding OAuth states ──────────────────────────────────────────────────────────────

  // Without it: with OUTSTANDING_STATES_PER_BROWSER's comparison in state.ts raised by 5, the 11th state is issued.
  it('holds OUTSTANDING_STATES_PER_BROWSER unspent states per browser; spending one frees a place', async () => {
    const browserId = h.newBrowser();
    const states: string[] = [];
    for (let i = 0; i < OUTSTANDING_STATES_PER_BROWSER; i++) states.push((await h.caller({ browserId }).weibo.authorizeUrl()).state);
    const refused = await errorOf(h.caller({ browserId }).weibo.authorizeUrl());
    expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(refused.details.limit).toBe('rate');
    expect(refused.details.retryAfterSeconds).toBeGreaterThan(0);
    // Another browser, even from the same address, is not affected.
    await h.caller({ browserId: h.newBrowser() }).weibo.authorizeUrl();
    // Spending one (a login, even one that Weibo refuses) frees its place, for one more.
    expect(await reasonOf(h.caller({ browserId }).weibo.login({ code: `not-a-code-${hex()}`, state: states[0]! }))).toBe(
      'WEIBO_CODE_INVALID',
    );
    await h.caller({ browserId }).weibo.authorizeUrl();
    expect((await errorOf(h.caller({ browserId }).weibo.authorizeUrl())).reason).toBe('TOO_MANY_ATTEMPTS');
  });

  // Without it: with OUTSTANDING_STATES_PER_ADDRESS's comparison in state.ts raised by 5, the 101st state is issued.
  it('holds OUTSTANDING_STATES_PER_ADDRESS unspent states per address; spending one frees a place', async () => {
    const ip = freshIp();
    const browsers = Array.from({ length: Math.ceil(OUTSTANDING_STATES_PER_ADDRESS / OUTSTANDING_STATES_PER_BROWSER) }, () =>
      h.newBrowser(),
    );
    const issued: { browserId: string; state: string }[] = [];
    for (let i = 0; i < OUTSTANDING_STATES_PER_ADDRESS; i++) {
      const browserId = browsers[i % browsers.length]!;
      issued.push({ browserId, state: (await h.caller({ ip, browserId }).weibo.authorizeUrl()).state });
    }
    const refused = await errorOf(h.caller({ ip, browserId: h.newBrowser() }).weibo.authorizeUrl());
    expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(refused.details.limit).toBe('rate');
    // Another address is not affected.
    await h.caller({ ip: freshIp(), browserId: h.newBrowser() }).weibo.authorizeUrl();
    const spent = issued[0]!;
    expect(
      await reasonOf(h.caller({ ip, browserId: spent.browserId }).weibo.login({ code: `not-a-code-${hex()}`, state: spent.state })),
    ).toBe('WEIBO_CODE_INVALID');
    await h.caller({ ip, browserId: h.newBrowser() }).weibo.authorizeUrl();
    expect((await errorOf(h.caller({ ip, browserId: h.newBrowser() }).weibo.authorizeUrl())).reason).toBe('TOO_MANY_ATTEMPTS');
  });

  // ── Calls to Weibo ────────────────────────────────────────────────────────────────────────

  /** A login with a code Weibo refuses: admitted, it costs one token exchange at the simulator. */
  async function failedLogin(deps: AppDeps, ip: string) {
    const browserId = h.newBrowser();
    const { state } = await callerOn(deps, { ip, browserId }).weibo.authorizeUrl();
    return errorOf(callerOn(deps, { ip, browserId }).weibo.login({ code: `not-a-code-${hex()}`, state }));
  }
  const exchanges = async () => (await simStats(h.sim.url)).requests.access_token;

  // Without it: with WEIBO_CALLS_PER_ADDRESS's points raised to 1000 where rate-limits.ts uses
  // it, the 61st login reaches Weibo.
  it('refuses the login past WEIBO_CALLS_PER_ADDRESS before Weibo is called', async () => {
    const ip = freshIp();
    const logins = WEIBO_CALLS_PER_ADDRESS.points / 2;
    const before = await exchanges();
    for (let i = 0; i < logins; i++) expect((await failedLogin(h.deps, ip)).reason).toBe('WEIBO_CODE_INVALID');
    expect(await exchanges()).toBe(before + logins);
    const refused = await failedLogin(h.deps, ip);
    expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(refused.details.limit).toBe('rate');
    expect(refused.details.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.details.retryAfterSeconds).toBeLessThanOrEqual(WEIBO_CALLS_PER_ADDRESS.windowSeconds);
    expect(await exchanges(), 'no token exchange for the refused login').toBe(before + logins);
    expect((await failedLogin(h.deps, freshIp())).reason).toBe('WEIBO_CODE_INVALID');
  });

  // Without it: with WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS raised to 100 in rate-limits.ts, the
  // fifth login waits on the hanging Weibo too.
  it('refuses at once the login past WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS while Weibo hangs', async () => {
    const ip = freshIp();
    const before = await exchanges();
    await h.simControl.addFault({ endpoint: 'access_token', mode: 'hang', times: WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS });
    const hanging = Array.from({ length: WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS }, () => failedLogin(h.deps, ip));
    await until(async () => (await exchanges()) === before + WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS, 'the hanging exchanges');
    const started = performance.now();
    const refused = await failedLogin(h.deps, ip);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(refused.details.limit).toBe('rate');
    expect(await exchanges()).toBe(before + WEIBO_CALLS_IN_FLIGHT_PER_ADDRESS);
    // Another address is not held up by this one's calls.
    expect((await failedLogin(h.deps, freshIp())).reason).toBe('WEIBO_CODE_INVALID');
    for (const error of await Promise.all(hanging)) expect(error.reason).toBe('WEIBO_UNAVAILABLE');
    // Once they ended, the address may call again.
    expect((await failedLogin(h.deps, ip)).reason).toBe('WEIBO_CODE_INVALID');
  });

  // Without it: with createWorkLimits ignoring weiboCallsPerMinute (600), the fourth address's
  // login reaches Weibo.
  it('holds all addresses together to the weiboCallBudgetPerMinute of createDeps', async () => {
    const budget = 6;
    const deps = await freshDeps(budget);
    const before = await exchanges();
    for (let i = 0; i < budget / 2; i++) expect((await failedLogin(deps, freshIp())).reason).toBe('WEIBO_CODE_INVALID');
    const refused = await failedLogin(deps, freshIp());
    expect(refused.reason).toBe('TOO_MANY_ATTEMPTS');
    expect(refused.details.limit).toBe('rate');
    expect(await exchanges()).toBe(before + budget / 2);
  });

  // ── Bind tickets and the browser ──────────────────────────────────────────────────────────

  // Without it: with readBindTicket's browser check taken out, the other browser binds.
  it('accepts a bind ticket only in the browser that got it', async () => {
    const owner = h.newBrowser();
    const ticket = await ticketIn(owner);
    const existing = await h.registerAccount();
    for (const browserId of [h.newBrowser(), null]) {
      expect(await reasonOf(h.caller({ browserId }).weibo.register({ ticket, account: account(), password: PASSWORD }))).toBe(
        'TICKET_INVALID',
      );
      expect(await reasonOf(h.caller({ browserId }).weibo.bind({ ticket, account: existing.account, password: existing.password }))).toBe(
        'TICKET_INVALID',
      );
    }
    const bound = await h.caller({ browserId: owner }).weibo.bind({ ticket, account: existing.account, password: existing.password });
    expect(bound.user.account).toBe(existing.account);
  });

  // ── New account names ─────────────────────────────────────────────────────────────────────

  // Without it: with newCredentialsInput, or ticketNewCredentialsInput (each checked alone), on
  // accountSchema in packages/shared, 用户名 registers.
  it('refuses non-ASCII names for new accounts (auth.register and weibo.register) with INVALID_INPUT', async () => {
    const browserId = h.newBrowser();
    const ticket = await ticketIn(browserId);
    for (const name of ['用户名', 'Ålice', `Ålice_${hex(2)}`, `用户${hex(2)}`, 'аlice', 'alice\u0301x']) {
      expect(await reasonOf(h.caller().auth.register({ account: name, password: PASSWORD })), name).toBe('INVALID_INPUT');
      expect(await reasonOf(h.caller({ browserId }).weibo.register({ ticket, account: name, password: PASSWORD })), name).toBe(
        'INVALID_INPUT',
      );
    }
    // The ticket is unspent and an ASCII name still registers with it.
    await h.caller({ browserId }).weibo.register({ ticket, account: account(), password: PASSWORD });
  });

  // A guard (no bound): the login schema must keep taking the names accounts were made with.
  it('still signs in an account stored earlier with a non-ASCII name', async () => {
    const now = h.clock.now;
    for (const name of [`用户名${hex(2)}`, `Ålice${hex(2)}`]) {
      const stored = name.normalize('NFC');
      await h.db
        .insertInto('users')
        .values({
          account: stored,
          account_key: accountKeyOf(stored),
          password_hash: await h.deps.hasher.hash(PASSWORD),
          display_name: null,
          avatar_url: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      const signedIn = await h.caller().auth.login({ account: stored, password: PASSWORD });
      expect(signedIn.user.account).toBe(stored);
      // Typed on another keyboard (decomposed), or in other case, it is the same account.
      expect((await h.caller().auth.login({ account: stored.normalize('NFD').toLowerCase(), password: PASSWORD })).user.id).toBe(
        signedIn.user.id,
      );
    }
  });

  // ── Weibo's cancel-authorization hints ────────────────────────────────────────────────────

  describe('revocation hints over HTTP', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = await createServer(
        h.deps,
        { host: '127.0.0.1', port: 0, trustProxy: false, corsOrigins: [], webDist: '/nonexistent' },
        pino({ level: 'silent' }),
      );
      base = await server.start();
    });
    afterAll(async () => {
      await server.app.close();
    });

    /** A Weibo user bound to a local account, with a live token at the simulator. */
    async function boundUid(): Promise<string> {
      const uid = await h.newWeiboUser();
      const exchange = await fetch(`${h.sim.url}/oauth2/access_token`, {
        method: 'POST',
        body: new URLSearchParams({
          client_id: DEMO_APP.clientId,
          client_secret: DEMO_APP.clientSecret,
          grant_type: 'authorization_code',
          code: await h.mintCode(uid),
          redirect_uri: REDIRECT_URI,
        }),
      });
      const token = JSON.parse(await exchange.text()) as { access_token: string; expires_in: number };
      const now = h.clock.now;
      const name = `rv_${uid}`;
      const user = await h.db
        .insertInto('users')
        .values({
          account: name,
          account_key: name,
          password_hash: h.deps.hasher.dummyHash,
          display_name: null,
          avatar_url: null,
          created_at: now,
          updated_at: now,
        })
        .executeTakeFirstOrThrow();
      await h.db
        .insertInto('identities')
        .values({
          user_id: Number(user.insertId),
          provider: WEIBO,
          provider_uid: uid,
          screen_name: name,
          avatar_url: null,
          access_token: token.access_token,
          token_expires_at: now + token.expires_in * 1000,
          bound_at: now,
          updated_at: now,
        })
        .execute();
      return uid;
    }
    const hint = async (uid: string) => {
      const started = performance.now();
      const response = await fetch(`${base}/api/weibo/revoked`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `source=${DEMO_APP.clientId}&uid=${uid}&auth_end=1`,
      });
      return { status: response.status, body: await response.text(), ms: performance.now() - started };
    };
    const tokenChecks = async () => (await simStats(h.sim.url)).requests.get_token_info;

    // Without it: with REVOCATION_QUEUE_MAX's check taken out of revocation-queue.ts, all 239
    // hints wait in the queue, and every known uid is checked.
    it('answers 200 hints for random and for known uids alike and at once, and keeps at most REVOCATION_QUEUE_MAX waiting', async () => {
      const known = [];
      for (let i = 0; i < REVOCATION_QUEUE_MAX + 8; i++) known.push(await boundUid());
      const before = await tokenChecks();
      // The first check hangs at Weibo (until WEIBO_TIMEOUT_MS): everything after it has to wait in the queue.
      await h.simControl.addFault({ endpoint: 'get_token_info', mode: 'hang', times: 1 });
      const first = await hint(known[0]!);
      await until(async () => (await tokenChecks()) === before + 1, 'the first check');
      const hints = [...known.slice(1), ...Array.from({ length: 200 }, () => String(7_000_000_000 + randomBytes(4).readUInt32BE()))].sort(
        () => Math.random() - 0.5,
      );
      const answers = [first];
      for (let i = 0; i < hints.length; i += 20) answers.push(...(await Promise.all(hints.slice(i, i + 20).map(hint))));
      // Full, and no fuller: the rest were dropped.
      expect(h.deps.revocations.waiting).toBe(REVOCATION_QUEUE_MAX);
      for (const answer of answers) {
        expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: 'ok' });
        expect(answer.ms).toBeLessThan(1000);
      }
      await h.deps.revocations.drained();
      const checks = (await tokenChecks()) - before;
      expect(checks).toBeLessThanOrEqual(REVOCATION_QUEUE_MAX + 1);
      // The bindings were kept: Weibo said (or could not say otherwise) that their tokens live.
      expect(
        Number(
          (
            await h.db
              .selectFrom('identities')
              .select((eb) => eb.fn.countAll<number | string>().as('n'))
              .where('provider_uid', 'in', known)
              .executeTakeFirstOrThrow()
          ).n,
        ),
      ).toBe(known.length);
    });

    // Without it: with the admitSiteWeiboCalls check taken out of handleRevocationHint, the
    // check reaches Weibo with the site's budget spent.
    it("counts a hint's check against the site's Weibo budget: with the budget spent by logins, no get_token_info call", async () => {
      const uid = await boundUid();
      const budget = 2;
      const deps = await freshDeps(budget);
      const before = await tokenChecks();
      expect((await failedLogin(deps, freshIp())).reason).toBe('WEIBO_CODE_INVALID');
      expect(await handleRevocationHint(deps, { source: DEMO_APP.clientId, uid })).toBe('kept');
      expect(await tokenChecks()).toBe(before);
      // With budget left, the same hint is checked.
      const roomy = await freshDeps(budget);
      expect(await handleRevocationHint(roomy, { source: DEMO_APP.clientId, uid })).toBe('kept');
      expect(await tokenChecks()).toBe(before + 1);
    });

    // Without it: with the comparison with REVOCATION_RECHECK_MS in rate-limits.ts
    // (admitRevocationCheck) made against 0, the uid was checked 45 times (48 on MySQL).
    it('checks a uid hinted 50 times once, and again only after REVOCATION_RECHECK_MS', async () => {
      const uid = await boundUid();
      await h.deps.revocations.drained();
      const before = await tokenChecks();
      const answers = await Promise.all(Array.from({ length: 50 }, () => hint(uid)));
      for (const answer of answers) expect(answer.body).toBe('ok');
      await h.deps.revocations.drained();
      expect((await tokenChecks()) - before).toBe(1);
      for (let i = 0; i < 5; i++) await hint(uid);
      await h.deps.revocations.drained();
      expect((await tokenChecks()) - before).toBe(1);
      h.clock.advance(REVOCATION_RECHECK_MS);
      await hint(uid);
      await h.deps.revocations.drained();
      expect((await tokenChecks()) - before).toBe(2);
    });
  });

  // ── Sweeps ────────────────────────────────────────────────────────────────────────────────

  describe('sweeps', () => {
    let db: Db;
    let close: () => Promise<void>;
    beforeAll(async () => {
      // A database of its own: the counts below are exact.
      const testDb = await createTestDatabase(h.dialect);
      const client = openDatabase(testDb.config);
      await migrateToLatest(client.db);
      db = client.db;
      close = async () => {
        await client.close();
        await testDb.drop();
      };
    });
    afterAll(async () => {
      await close();
    });
    const count = async (table: 'oauth_states' | 'auth_events') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number | string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    // Without it: with .limit(SWEEP_BATCH_ROWS) taken out of maintenance.ts, one DELETE takes
    // all 2,000 rows of a table; with the events' cut-off at one day instead of
    // auditRetentionDays, the 300 young events go too.
    it('sweeps 2,000 expired states and 2,000 events past AUDIT_RETENTION_DAYS in statements of at most SWEEP_BATCH_ROWS, keeping the young', async () => {
      const { auditRetentionDays } = loadConfig({ AUDIT_RETENTION_DAYS: '30' });
      expect(auditRetentionDays).toBe(30);
      expect(loadConfig({}).auditRetentionDays).toBe(180);
      const now = Date.now();
      const retention = auditRetentionDays * DAY_MS;
      await insertInChunks(db, 'oauth_states', [
        ...expiredStates(2000, now, 'e'),
        ...expiredStates(300, now, 'y').map((row) => ({ ...row, expires_at: now + 60_000 })),
      ]);
      const event = (at: number) => ({ user_id: null, account_key: 'sweep', kind: 'sign_in_password', ip: null, user_agent: null, at });
      await insertInChunks(db, 'auth_events', [
        ...Array.from({ length: 2000 }, (_, i) => event(now - retention - 60_000 - i)),
        // Kept: younger than the retention, if only by a minute.
        ...Array.from({ length: 300 }, (_, i) => event(now - retention + 60_000 + i)),
      ]);

      const recorder = new DeleteRecorder();
      const deleted = await sweepExpired(db.withPlugin(recorder), now, { auditRetentionDays });
      expect(deleted.oauth_states).toBe(2000);
      expect(deleted.auth_events).toBe(2000);
      for (const table of ['oauth_states', 'auth_events']) {
        const statements = recorder.deletes.filter((d) => d.table === table);
        expect(
          statements.map((d) => d.rows),
          table,
        ).toEqual(Array.from({ length: 2000 / SWEEP_BATCH_ROWS }, () => SWEEP_BATCH_ROWS));
      }
      expect(Math.max(...recorder.deletes.map((d) => d.rows))).toBeLessThanOrEqual(SWEEP_BATCH_ROWS);
      expect(await count('oauth_states')).toBe(300);
      expect(await count('auth_events')).toBe(300);
      expect(
        Number(
          (
            await db
              .selectFrom('auth_events')
              .select((eb) => eb.fn.min('at').as('oldest'))
              .executeTakeFirstOrThrow()
          ).oldest,
        ),
      ).toBeGreaterThan(now - retention);
    });

    // Without it: with the batch loop unbounded (SWEEP_MAX_BATCHES raised), one sweep deletes all 10,700.
    it('deletes at most SWEEP_MAX_BATCHES batches per table in one sweep; the next sweep takes the rest', async () => {
      const now = Date.now();
      await db.deleteFrom('oauth_states').execute();
      const many = SWEEP_MAX_BATCHES * SWEEP_BATCH_ROWS + 700;
      await insertInChunks(db, 'oauth_states', expiredStates(many, now, 'm'));
      const first = await sweepExpired(db, now, { auditRetentionDays: 180 });
      expect(first.oauth_states).toBe(SWEEP_MAX_BATCHES * SWEEP_BATCH_ROWS);
      expect(await count('oauth_states')).toBe(700);
      const second = await sweepExpired(db, now, { auditRetentionDays: 180 });
      expect(second.oauth_states).toBe(700);
      expect(await count('oauth_states')).toBe(0);
    });
  });
});
