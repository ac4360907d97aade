import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeiboSimulator } from '../src/index.ts';
import {
  CLIENT_ID,
  HEX32,
  REDIRECT,
  UID,
  approveCode,
  authorizeUrl,
  control,
  exchange,
  get,
  redirectOf,
  startSim,
} from './support/helpers.ts';

let sim: WeiboSimulator;
let base: string;
beforeAll(async () => ({ sim, base } = await startSim()));
afterAll(() => sim.close());

describe('minting codes', () => {
  it('mints 10,000 distinct codes quickly, each exchangeable once', async () => {
    const started = Date.now();
    const res = await control(base, 'POST', 'codes', { uid: UID, count: 10_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    const codes: string[] = res.json.codes;
    expect(codes).toHaveLength(10_000);
    expect(new Set(codes).size).toBe(10_000);
    expect(codes.every((c) => HEX32.test(c))).toBe(true);
    const ok = await exchange(base, codes[9_999]!);
    expect(ok.json.uid).toBe(UID);
    expect((await exchange(base, codes[9_999]!)).json.error_code).toBe(21325);
  });

  it('honours clientId, redirectUri and scope, like an approval would', async () => {
    const redirectUri = 'http://localhost:3000/weibo';
    const { codes } = (await control(base, 'POST', 'codes', { uid: UID, clientId: CLIENT_ID, redirectUri, scope: 'email' })).json;
    expect((await exchange(base, codes[0])).json.error_code).toBe(21322);
    const { codes: again } = (await control(base, 'POST', 'codes', { uid: UID, redirectUri, scope: 'email' })).json;
    const res = await exchange(base, again[0], { redirect_uri: redirectUri });
    expect(res.json.scope).toBe('email');
  });

  it.each([
    ['unknown uid', { uid: '1' }],
    ['unknown client', { uid: UID, clientId: 'nope' }],
    ['unregistered redirect', { uid: UID, redirectUri: 'http://evil.example/' }],
    ['count too large', { uid: UID, count: 100_001 }],
  ])('refuses %s with 400', async (_name, body) => {
    expect((await control(base, 'POST', 'codes', body)).status).toBe(400);
  });
});

describe('users and apps', () => {
  it('a created user can sign in on the consent page', async () => {
    const user = (await control(base, 'POST', 'users', { uid: '5000000001', screenName: '新用户' })).json;
    expect(user).toMatchObject({ uid: '5000000001', screenName: '新用户' });
    const page = await get(authorizeUrl(base, { client_id: CLIENT_ID, redirect_uri: REDIRECT }));
    expect(page.text).toContain('新用户');
    expect(await approveCode(base, '5000000001')).toMatch(HEX32);
  });

  it('PATCH of an unknown user or app is 404', async () => {
    expect((await control(base, 'PATCH', 'users/1', { screenName: 'x' })).status).toBe(404);
    expect((await control(base, 'PATCH', 'apps/1', { audited: false })).status).toBe(404);
  });

  it('registers an app and adds redirect URIs to it', async () => {
    const created = await control(base, 'POST', 'apps', { clientId: '4000000004', clientSecret: 's', redirectUris: ['http://a.test/cb'] });
    expect(created.json).toMatchObject({ clientId: '4000000004', audited: true, testUids: [], cancelCallbackUrl: null });
    const patched = await control(base, 'PATCH', 'apps/4000000004', { addRedirectUris: ['http://b.test/cb'] });
    expect(patched.json.redirectUris).toEqual(['http://a.test/cb', 'http://b.test/cb']);
    const { status } = await redirectOf(
      authorizeUrl(base, { client_id: '4000000004', redirect_uri: 'http://b.test/cb', sim_uid: UID, sim_action: 'approve' }),
    );
    expect(status).toBe(302);
  });
});

describe('stats and reset', () => {
  it('counts token attempts and restores the initial state on reset', async () => {
    await control(base, 'POST', 'reset');
    const code = await approveCode(base);
    await exchange(base, code);
    await exchange(base, code);
    await control(base, 'POST', 'users', { uid: '5000000002', screenName: '临时' });
    await control(base, 'POST', 'faults', { endpoint: 'users_show', mode: '500' });

    const stats = (await control(base, 'GET', 'stats')).json;
    expect(stats.requests).toMatchObject({ access_token: 2, authorize: 1, users_show: 0, get_token_info: 0, revokeoauth2: 0 });
    expect(stats.tokens.issued).toBe(1);

    const pending = (await control(base, 'POST', 'codes', { uid: UID })).json.codes[0];
    await control(base, 'POST', 'reset');
    const after = (await control(base, 'GET', 'stats')).json;
    expect(after.requests.access_token).toBe(0);
    expect(after.codes.live).toBe(0);
    expect((await control(base, 'GET', 'users')).json.users.some((u: { uid: string }) => u.uid === '5000000002')).toBe(false);
    expect((await control(base, 'GET', 'faults')).json.faults).toEqual([]);
    expect((await exchange(base, pending)).json.error_code).toBe(21325);
  });
});

describe('close', () => {
  it('resolves promptly while a hung request is still open', async () => {
    const { sim: closing, base: closingBase } = await startSim();
    await control(closingBase, 'POST', 'faults', { endpoint: 'users_show', mode: 'hang' });
    const hung = fetch(`${closingBase}/2/users/show.json?uid=${UID}&access_token=x`).then(
      () => 'answered',
      () => 'failed',
    );
    await expect.poll(async () => (await control(closingBase, 'GET', 'stats')).json.requests.users_show).toBe(1);
    const started = Date.now();
    await closing.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await hung).toBe('failed');
  });
});
