/**
 * SQL- and script-like strings in every field a client or Weibo controls: each is refused by its
 * schema or stored and given back verbatim (queries are parameterised; output is data, never
 * markup), and the tables are intact afterwards. Rendering the XSS screen name as text in a real
 * browser is apps/web/e2e's part.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeOnEachDatabase, reasonOf } from '../support/harness.ts';
import { Browser, call } from '../support/http.ts';
import { HOSTILE_STRINGS } from '../support/hostile.ts';
import { type Instance, type SharedDatabase, sharedDatabase, startInstance } from '../support/instances.ts';

/** A lone surrogate is not text: UTF-8 storage and JSON keep it as U+FFFD (String#toWellFormed). */
const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/** Pads to the 8 bytes a password needs, keeping under 72. */
const asPassword = (s: string) => `${s}########`.slice(0, 60);

describeOnEachDatabase('hostile strings in every field', (h) => {
  let api: Instance;
  let db: SharedDatabase;
  beforeAll(async () => {
    db = await sharedDatabase(h.dialect);
    // Behind a trusted proxy, so that X-Forwarded-For (the client address) is an attacker's field too.
    api = await startInstance(db.config, h.sim.url, { trustProxy: '127.0.0.1' });
  });
  afterAll(async () => {
    await api.stop();
    await db.drop();
  });

  it('refuses them as account names everywhere', async () => {
    const login = await h.weiboLogin(await h.newWeiboUser());
    if (login.status !== 'bind_required') throw new Error('expected bind_required');
    for (const account of HOSTILE_STRINGS) {
      expect(await reasonOf(h.caller().auth.register({ account, password: 'password-123' })), account).toBe('INVALID_INPUT');
      expect(await reasonOf(h.caller().auth.login({ account, password: 'password-123' })), account).toBe('INVALID_INPUT');
      expect(await reasonOf(h.caller().weibo.bind({ ticket: login.ticket, account, password: 'password-123' })), account).toBe(
        'INVALID_INPUT',
      );
      expect(await reasonOf(h.caller().weibo.register({ ticket: login.ticket, account, password: 'password-123' })), account).toBe(
        'INVALID_INPUT',
      );
    }
  });

  it('takes them as passwords exactly: the same string signs in, a near one does not, none matches another account', async () => {
    const victim = await h.registerAccount();
    for (const [i, raw] of HOSTILE_STRINGS.entries()) {
      const password = asPassword(raw);
      const account = `inj_pw_${i}_${Date.now().toString(36)}`;
      await h.caller({ ip: `192.0.2.${i}` }).auth.register({ account, password });
      expect((await h.caller({ ip: `192.0.2.${i}` }).auth.login({ account, password })).status).toBe('signed_in');
      expect(await reasonOf(h.caller({ ip: `192.0.2.${i}` }).auth.login({ account, password: `${password}x` }))).toBe('BAD_CREDENTIALS');
      expect(await reasonOf(h.caller({ ip: `198.51.100.${i}` }).auth.login({ account: victim.account, password }))).toBe('BAD_CREDENTIALS');
      h.clock.advance(15 * 60 * 1000 + 1);
    }
  });

  it("answers them as codes, states, tickets and tokens with the field's own reason", async () => {
    const uid = await h.newWeiboUser();
    for (const value of HOSTILE_STRINGS) {
      const browser = h.newBrowser();
      expect(await reasonOf(h.caller({ browserId: browser }).weibo.login({ code: await h.mintCode(uid), state: value })), value).toBe(
        'STATE_INVALID',
      );
      const { state } = await h.caller({ browserId: browser }).weibo.authorizeUrl();
      // The code goes to Weibo form-encoded: Weibo refuses it as a code, nothing else.
      expect(await reasonOf(h.caller({ browserId: browser }).weibo.login({ code: value, state })), value).toBe('WEIBO_CODE_INVALID');
      expect(await reasonOf(h.caller().weibo.register({ ticket: value, account: 'inj_ticket', password: 'password-123' })), value).toBe(
        'TICKET_INVALID',
      );
      expect(await reasonOf(h.caller({ token: value }).auth.me()), value).toBe('UNAUTHENTICATED');
    }
  });

  it('stores them verbatim as redirect paths and Weibo screen names, and gives them back as data', async () => {
    for (const value of HOSTILE_STRINGS) {
      const redirectTo = `/${value}`;
      const uid = await h.newWeiboUser(value.replace(/\u0000/g, '') || 'x');
      const { screenName } = await h.simControl.updateUser(uid, {});
      const browser = h.newBrowser();
      const caller = h.caller({ browserId: browser });
      const issued = await reasonOf(caller.weibo.authorizeUrl({ redirectTo }));
      const expected = issued === 'resolved' ? redirectTo : '/';
      if (issued !== 'resolved') expect(issued).toBe('INVALID_INPUT');
      const { state } = await caller.weibo.authorizeUrl(expected === '/' ? undefined : { redirectTo });
      const login = await caller.weibo.login({ code: await h.mintCode(uid), state });
      if (login.status !== 'bind_required') throw new Error('expected bind_required');
      // A lone surrogate is not text: it is kept as U+FFFD, as UTF-8 storage and JSON transport keep it.
      expect(login.redirectTo).toBe(wellFormed(expected));
      expect(login.profile.screenName).toBe(screenName);
      const registered = await caller.weibo.register({ ticket: login.ticket, account: `inj_sn_${uid}`, password: 'password-123' });
      expect(registered.user.displayName).toBe(wellFormed(screenName));
      expect(registered.redirectTo).toBe(wellFormed(expected));
      const me = await h.caller({ token: registered.session.token }).auth.me();
      expect(me.identities[0]!.screenName).toBe(wellFormed(screenName));
    }
    expect(await h.count('users')).toBeGreaterThan(HOSTILE_STRINGS.length);
  });

  it('keeps them as data in headers: user agent and forwarded address verbatim in the activity trail, cookies ignored', async () => {
    for (const [i, value] of [...HOSTILE_STRINGS, `${"' OR 1=1 -- ".repeat(8)}`, 'x'.repeat(600)].entries()) {
      // Headers carry Latin-1 only: what is not survives as its UTF-8 bytes, as a browser would send them.
      const header = Buffer.from(value.replace(/[\u0000-\u001f\u007f]/g, ''), 'utf8').toString('latin1');
      const browser = new Browser(api.url, {
        'user-agent': header,
        'x-forwarded-for': header,
        cookie: `wl_browser=${encodeURIComponent(wellFormed(value))}`,
      });
      const registered = await browser.call<{ session: { token: string } }>('auth.register', {
        account: `inj_hdr_${i}_${Date.now().toString(36)}`,
        password: 'password-123',
      });
      expect(registered.status, value).toBe(200);
      const activity = await call<{ events: { userAgent: string; ip: string }[] }>(api.url, 'auth.activity', undefined, {
        token: registered.data.session.token,
      });
      // fetch trims header values; the API keeps the columns' sizes (512, 64) and otherwise every byte.
      expect(activity.data.events[0]!.userAgent).toBe(header.trim().slice(0, 512));
      expect(activity.data.events[0]!.ip).toBe(header.split(',').at(-1)!.trim().slice(0, 64));
      // The hostile cookie was not a browser id: the API set a fresh one (a sign-up remembers its browser).
      expect(registered.headers.getSetCookie().join()).toMatch(/wl_browser=[A-Za-z0-9_-]{43};/);
      const authorize = await browser.call('weibo.authorizeUrl');
      expect(authorize.status).toBe(200);
    }
  });

  it('answers the revocation callback the same for hostile source and uid, removing nothing', async () => {
    const account = await h.registerAccount();
    const identitiesBefore = await h.count('identities');
    for (const value of HOSTILE_STRINGS.map(wellFormed)) {
      const get = await fetch(`${api.url}/api/weibo/revoked?source=${encodeURIComponent(value)}&uid=${encodeURIComponent(value)}`);
      expect(get.status).toBe(200);
      const post = await fetch(`${api.url}/api/weibo/revoked`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ source: value, uid: value, auth_end: value }).toString(),
      });
      expect(post.status).toBe(200);
    }
    expect(await h.count('identities')).toBe(identitiesBefore);
    expect((await h.caller({ token: account.token }).auth.me()).user.account).toBe(account.account);
  });
});
