/**
 * (2e) Weibo in the field: its phone page, and its real refusals mapped to reasons a person can act
 * on (reference/weibo-api.md §6, §7), with the operator's log line naming the setting to fix.
 * The Weibo client against the simulator over HTTP, in each of the simulator's refusal modes.
 */
import { randomBytes } from 'node:crypto';
import { createWeiboSimulator, MOBILE_AUTHORIZE_PATH, type WeiboSimulator } from '@weibo-login/weibo-sim';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OAuthProvider } from '../src/oauth/provider.ts';
import { createWeiboProvider } from '../src/oauth/weibo.ts';
import type { WeiboConfig } from '../src/types.ts';
import { reasonOf, simulatorWeiboConfig } from './support/harness.ts';

let sim: WeiboSimulator;
let config: WeiboConfig;
let weibo: OAuthProvider;
const lines: { level: number; msg: string; check?: string; weiboErrorCode?: number }[] = [];
const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });

beforeAll(async () => {
  sim = createWeiboSimulator();
  await sim.listen(0, '127.0.0.1');
  // An app of this suite's own: its audit level and quotas change here.
  const app = await sim.control.registerApp({
    clientId: String(3_000_000_000 + randomBytes(3).readUIntBE(0, 3)),
    clientSecret: `refusals-${randomBytes(8).toString('hex')}`,
    redirectUris: ['http://127.0.0.1:5173/weibo'],
  });
  config = simulatorWeiboConfig(sim.url, app, 1000);
  weibo = createWeiboProvider(config, log);
});
afterAll(async () => {
  await weibo.close();
  await sim.close();
});

const newUser = async () => (await sim.control.createUser({ screenName: `拒绝${randomBytes(2).toString('hex')}` })).uid;
const signIn = async (uid: string) =>
  weibo.fetchProfile(await weibo.exchangeCode(await sim.control.mintCode({ uid, clientId: config.clientId })));

describe('the phone page', () => {
  it('is asked for with display=mobile on open.weibo.cn’s path; the desktop page has no display', () => {
    const phone = new URL(weibo.authorizeUrl({ state: 's', forceLogin: false, display: 'mobile' }));
    expect(phone.pathname).toBe(MOBILE_AUTHORIZE_PATH);
    expect(phone.searchParams.get('display')).toBe('mobile');
    expect(phone.searchParams.get('client_id')).toBe(config.clientId);
    const desktop = new URL(weibo.authorizeUrl({ state: 's', forceLogin: true, display: 'default' }));
    expect(desktop.pathname).toBe('/oauth2/authorize');
    expect(desktop.searchParams.has('display')).toBe(false);
    expect(desktop.searchParams.get('forcelogin')).toBe('true');
  });

  it('is a page the simulator serves for the same app, recording display', async () => {
    const url = weibo.authorizeUrl({ state: 'phone-state', forceLogin: false, display: 'mobile' });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('viewport');
    expect(await sim.control.lastAuthorize({ clientId: config.clientId })).toMatchObject({ page: 'mobile', display: 'mobile' });
  });
});

describe('Weibo’s refusals', () => {
  it('an unaudited app: a non-test account is WEIBO_APP_UNAUDITED (21321 at users/show), a test account gets in', async () => {
    const tester = await newUser();
    const stranger = await newUser();
    await sim.control.updateApp(config.clientId, { audited: false, testUids: [tester] });
    try {
      expect((await signIn(tester)).uid).toBe(tester);
      expect(await reasonOf(signIn(stranger))).toBe('WEIBO_APP_UNAUDITED');
    } finally {
      await sim.control.updateApp(config.clientId, { audited: true, testUids: [] });
    }
    expect((await signIn(stranger)).uid).toBe(stranger);
  });

  it('Weibo’s rate limits are WEIBO_RATE_LIMITED', async () => {
    const uid = await newUser();
    await sim.control.updateApp(config.clientId, { rateLimits: { perUserPerHour: 1 } });
    try {
      expect((await signIn(uid)).uid).toBe(uid);
      expect(await reasonOf(signIn(uid))).toBe('WEIBO_RATE_LIMITED');
    } finally {
      await sim.control.updateApp(config.clientId, { rateLimits: null });
    }
  });

  it.each([
    ['access_token', 21321, 'WEIBO_APP_UNAUDITED'],
    ['users_show', 21321, 'WEIBO_APP_UNAUDITED'],
    ['access_token', 10022, 'WEIBO_RATE_LIMITED'],
    ['users_show', 10023, 'WEIBO_RATE_LIMITED'],
    ['users_show', 10024, 'WEIBO_RATE_LIMITED'],
    ['access_token', 21322, 'WEIBO_MISCONFIGURED'],
    ['access_token', 21324, 'WEIBO_MISCONFIGURED'],
    ['access_token', 21326, 'WEIBO_MISCONFIGURED'],
    ['users_show', 21320, 'WEIBO_MISCONFIGURED'],
    ['access_token', 21325, 'WEIBO_CODE_INVALID'],
    ['users_show', 10001, 'WEIBO_UNAVAILABLE'],
  ] as const)('%s answering %i is %s', async (endpoint, errorCode, reason) => {
    await sim.control.addFault({ endpoint, mode: 'error', errorCode, times: 1 });
    expect(await reasonOf(signIn(await newUser()))).toBe(reason);
  });

  it.each([
    [21322, 'WEIBO_REDIRECT_URI'],
    [21324, 'WEIBO_CLIENT_SECRET'],
    [21326, 'WEIBO_CLIENT_ID'],
    [21320, 'https'],
  ] as const)('logs %i as an error that names the setting to check (%s)', async (errorCode, setting) => {
    lines.length = 0;
    await sim.control.addFault({ endpoint: 'access_token', mode: 'error', errorCode, times: 1 });
    await reasonOf(signIn(await newUser()));
    const line = lines.find((l) => l.weiboErrorCode === errorCode);
    expect(line?.level).toBe(50);
    expect(line?.check).toContain(setting);
  });

  it('logs an unaudited app’s refusal as a warning with what to do, not as an error', async () => {
    lines.length = 0;
    await sim.control.addFault({ endpoint: 'users_show', mode: 'error', errorCode: 21321, times: 1 });
    await reasonOf(signIn(await newUser()));
    const line = lines.find((l) => l.weiboErrorCode === 21321) as { level: number; hint?: string } | undefined;
    expect(line?.level).toBe(40);
    expect(line?.hint).toMatch(/测试信息|test accounts/);
  });
});
