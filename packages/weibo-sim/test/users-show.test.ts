import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XSS_SCREEN_NAME, type WeiboSimulator } from '../src/index.ts';
import { OTHER_UID, REDIRECT, UID, control, exchange, get, login, startSim } from './support/helpers.ts';

let sim: WeiboSimulator;
let base: string;
let token: string;
beforeAll(async () => {
  ({ sim, base } = await startSim());
  token = await login(base);
});
afterAll(() => sim.close());

const show = (query: string, headers: Record<string, string> = {}) => get(`${base}/2/users/show.json?${query}`, headers);

describe('users/show success', () => {
  it('answers the full own profile with the observed wire types (query token)', async () => {
    const res = await show(`uid=${UID}&access_token=${token}`);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/json;charset=UTF-8');
    const u = res.json;
    expect(u).toMatchObject({
      id: Number(UID),
      idstr: UID,
      class: 1,
      screen_name: '林小暖',
      name: '林小暖',
      province: '11',
      city: '5',
      profile_url: `u/${UID}`,
      domain: '',
      weihao: '',
      gender: 'f',
      created_at: 'Fri Aug 28 00:00:00 +0800 2009',
      verified: false,
      verified_type: -1,
      lang: 'zh-cn',
      online_status: 0,
    });
    for (const key of ['followers_count', 'friends_count', 'statuses_count', 'favourites_count', 'bi_followers_count']) {
      expect(typeof u[key]).toBe('number');
    }
    for (const key of ['following', 'allow_all_act_msg', 'geo_enabled', 'allow_all_comment', 'follow_me']) {
      expect(typeof u[key]).toBe('boolean');
    }
    expect(typeof u.description).toBe('string');
    expect(u.status).toBeTypeOf('object');
    expect(u).toHaveProperty('ptype');
    expect(u).toHaveProperty('mbrank');
    for (const key of ['profile_image_url', 'avatar_large', 'avatar_hd'])
      expect(u[key]).toMatch(new RegExp(`^${base}/avatars/${UID}\\.svg`));
  });

  it('accepts the Authorization: OAuth2 header', async () => {
    const res = await show(`uid=${UID}`, { authorization: `OAuth2 ${token}` });
    expect(res.status).toBe(200);
    expect(res.json.idstr).toBe(UID);
  });

  it('omits description, counts and status for a user other than the token owner', async () => {
    const res = await show(`uid=${OTHER_UID}&access_token=${token}`);
    expect(res.status).toBe(200);
    expect(res.json.idstr).toBe(OTHER_UID);
    for (const key of ['description', 'followers_count', 'friends_count', 'statuses_count', 'status'])
      expect(res.json).not.toHaveProperty(key);
  });

  it('finds a user by screen_name and returns the HTML-like name verbatim (JSON, not HTML)', async () => {
    const res = await show(`screen_name=${encodeURIComponent(XSS_SCREEN_NAME)}&access_token=${token}`);
    expect(res.status).toBe(200);
    expect(res.json.screen_name).toBe(XSS_SCREEN_NAME);
  });

  it('serves the avatar as an SVG with the initial escaped', async () => {
    const avatar = await get(`${base}/avatars/6666012345.svg`);
    expect(avatar.status).toBe(200);
    expect(avatar.contentType).toBe('image/svg+xml');
    expect(avatar.text).toContain('&lt;');
    expect(avatar.text).not.toContain('<img');
    expect((await get(`${base}/avatars/1.svg`)).status).toBe(404);
  });

  it('reflects profile changes and users without avatars', async () => {
    await control(base, 'PATCH', `users/${OTHER_UID}`, { screenName: '陈大文改名了', avatarUrl: 'https://example.com/a.png' });
    const renamed = await show(`uid=${OTHER_UID}&access_token=${token}`);
    expect(renamed.json.screen_name).toBe('陈大文改名了');
    expect(renamed.json.avatar_hd).toBe('https://example.com/a.png');

    const created = await control(base, 'POST', 'users', { screenName: '没有头像', avatar: 'none' });
    expect(created.json.uid).toMatch(/^\d{10}$/);
    const bare = await show(`uid=${created.json.uid}&access_token=${token}`);
    expect(bare.json.profile_image_url).toBe('');
    expect(bare.json.avatar_large).toBe('');
  });

  it('account/get_uid answers {"uid": <number>}', async () => {
    const res = await get(`${base}/2/account/get_uid.json?access_token=${token}`);
    expect(res.json).toEqual({ uid: Number(UID) });
  });
});

describe('users/show errors', () => {
  it('missing token → 403 21301 "auth faild!"', async () => {
    const res = await show(`uid=${UID}`);
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ error: 'auth faild!', error_code: 21301, request: '/2/users/show.json' });
  });

  it('unknown token → 401 21332; Bearer is not the scheme', async () => {
    expect((await show(`uid=${UID}&access_token=2.00bogus`)).json.error_code).toBe(21332);
    expect((await show(`uid=${UID}`, { authorization: `Bearer ${token}` })).json.error_code).toBe(21301);
  });

  it.each([
    ['neither uid nor screen_name', '', 10016],
    ['both uid and screen_name', `uid=${UID}&screen_name=x`, 10017],
    ['non-numeric uid', 'uid=abc', 10017],
    ['unknown uid', 'uid=1000000001', 20003],
  ])('%s → 400 %i', async (_name, query, code) => {
    const res = await show(`${query}&access_token=${token}`);
    expect(res.status).toBe(400);
    expect(res.json.error_code).toBe(code);
    expect(res.json.request).toBe('/2/users/show.json');
  });

  it('an unaudited app serves its test accounts only (21321)', async () => {
    await control(base, 'POST', 'apps', {
      clientId: '1111111111',
      clientSecret: 'test-level-secret',
      redirectUris: [REDIRECT],
      audited: false,
      testUids: [UID],
    });
    const tokenFor = async (uid: string) => {
      const { codes } = (await control(base, 'POST', 'codes', { uid, clientId: '1111111111' })).json;
      const res = await exchange(base, codes[0], { client_id: '1111111111', client_secret: 'test-level-secret' });
      return res.json.access_token as string;
    };
    const tester = await tokenFor(UID);
    expect((await show(`uid=${UID}&access_token=${tester}`)).status).toBe(200);
    const outsider = await tokenFor(OTHER_UID);
    const res = await show(`uid=${OTHER_UID}&access_token=${outsider}`);
    expect(res.status).toBe(403);
    expect(res.json).toEqual({
      error: 'applications over the unaudited use restrictions!',
      error_code: 21321,
      request: '/2/users/show.json',
    });
  });

  it('any other /2/ path → 400 10020', async () => {
    const res = await get(`${base}/2/statuses/home_timeline.json?access_token=${token}`);
    expect(res.status).toBe(400);
    expect(res.json.error_code).toBe(10020);
  });
});
