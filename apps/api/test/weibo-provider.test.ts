/** The Weibo client (src/oauth/weibo.ts) against the simulator over HTTP: no mocked fetch. */
import { createWeiboSimulator, DEMO_APP, MOBILE_AUTHORIZE_PATH, type WeiboSimulator } from '@weibo-login/weibo-sim';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_DEFAULTS } from '../src/config.ts';
import type { OAuthProvider } from '../src/oauth/provider.ts';
import { createWeiboProvider } from '../src/oauth/weibo.ts';
import type { WeiboConfig } from '../src/types.ts';
import { reasonOf, simulatorWeiboConfig } from './support/harness.ts';

let sim: WeiboSimulator;
let config: WeiboConfig;
let weibo: OAuthProvider;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  sim = createWeiboSimulator();
  await sim.listen(0, '127.0.0.1');
  config = simulatorWeiboConfig(sim.url, DEMO_APP, 1000);
  weibo = createWeiboProvider(config, log);
});
afterAll(async () => {
  await weibo.close();
  await sim.close();
});

const newUser = async (screenName: string) => (await sim.control.createUser({ screenName })).uid;
const mint = (uid: string) => sim.control.mintCode({ uid, redirectUri: config.redirectUri });

describe('Weibo provider', () => {
  it('matches the simulator demo app that `pnpm dev` uses by default', () => {
    expect(SIMULATOR_DEFAULTS.clientId).toBe(DEMO_APP.clientId);
    expect(SIMULATOR_DEFAULTS.clientSecret).toBe(DEMO_APP.clientSecret);
    expect(DEMO_APP.redirectUris).toContain('http://127.0.0.1:5173/weibo');
    expect(new URL(SIMULATOR_DEFAULTS.mobileAuthorizeUrl).pathname).toBe(MOBILE_AUTHORIZE_PATH);
  });

  it('exchanges a code for the uid as a string and an expiry from expires_in', async () => {
    const uid = await newUser('换码');
    const before = Date.now();
    const token = await weibo.exchangeCode(await mint(uid));
    expect(token.uid).toBe(uid);
    expect(token.accessToken).toMatch(/^2\.00/);
    expect(token.expiresAt).toBeGreaterThanOrEqual(before + 86_400_000 - 5000);
  });

  it('fetches the profile by uid with an https-or-http avatar, preferring the largest', async () => {
    const uid = await newUser('头像');
    const profile = await weibo.fetchProfile(await weibo.exchangeCode(await mint(uid)));
    expect(profile).toMatchObject({ uid, screenName: '头像' });
    expect(profile.avatarUrl).toMatch(/^https?:\/\//);
  });

  it('maps a spent code to WEIBO_CODE_INVALID after exactly one exchange attempt each', async () => {
    const code = await mint(await newUser('一次'));
    await weibo.exchangeCode(code);
    const stats = async () => JSON.stringify(await sim.control.stats());
    const before = await stats();
    expect(await reasonOf(weibo.exchangeCode(code))).toBe('WEIBO_CODE_INVALID');
    expect(await stats()).not.toBe(before);
  });

  it('treats a wrong client secret (invalid_client, 21324) as WEIBO_MISCONFIGURED (2e; WEIBO_UNAVAILABLE before)', async () => {
    const wrong = createWeiboProvider({ ...config, clientSecret: 'not-the-secret' }, log);
    expect(await reasonOf(wrong.exchangeCode(await mint(await newUser('错密钥'))))).toBe('WEIBO_MISCONFIGURED');
    await wrong.close();
  });

  it('asks get_token_info whether a token is alive, dead or unknown', async () => {
    const uid = await newUser('令牌');
    const token = await weibo.exchangeCode(await mint(uid));
    expect(await weibo.tokenStatus(token.accessToken)).toBe('alive');
    await weibo.revoke(token.accessToken);
    expect(await weibo.tokenStatus(token.accessToken)).toBe('dead');
    expect(await weibo.tokenStatus('2.00unknowntoken')).toBe('dead');
    const other = await weibo.exchangeCode(await mint(uid));
    await sim.control.expireTokens({ uid });
    expect(await weibo.tokenStatus(other.accessToken)).toBe('dead');
    await sim.control.addFault({ endpoint: 'get_token_info', mode: '500', times: 1 });
    expect(await weibo.tokenStatus(other.accessToken)).toBe('unknown');
  });

  it('builds the authorize URL, with forcelogin only when asked', () => {
    const plain = new URL(weibo.authorizeUrl({ state: 's1', forceLogin: false, display: 'default' }));
    expect(plain.searchParams.get('forcelogin')).toBeNull();
    expect(new URL(weibo.authorizeUrl({ state: 's1', forceLogin: true, display: 'default' })).searchParams.get('forcelogin')).toBe('true');
    expect(weibo.isOwnApp(DEMO_APP.clientId)).toBe(true);
    expect(weibo.isOwnApp('123')).toBe(false);
  });

  it('maps access_denied (21330, e.g. a scope the user refused) to WEIBO_DENIED', async () => {
    // The simulator has no way to refuse users/show with 21330, so this one answer comes from a
    // bare server speaking Weibo's error shape (reference §4, ASPNET-355).
    const server = createServer((_request, response) => {
      response.writeHead(403, { 'content-type': 'application/json;charset=UTF-8' });
      response.end(JSON.stringify({ error: 'access_denied', error_code: 21330, request: '/2/users/show.json' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const refusing = createWeiboProvider({ ...config, apiBase: `http://127.0.0.1:${port}` }, log);
    try {
      expect(await reasonOf(refusing.fetchProfile({ uid: '1', accessToken: 't', expiresAt: Date.now() + 1000 }))).toBe('WEIBO_DENIED');
      expect(await reasonOf(refusing.exchangeCode('c'.repeat(32)))).toBe('WEIBO_DENIED');
    } finally {
      await refusing.close();
      server.close();
    }
  });
});
