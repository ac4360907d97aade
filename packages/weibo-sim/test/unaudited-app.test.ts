/** An unaudited (test-level) app: the login succeeds, Weibo's /2/ API then refuses non-test users with 21321 (pitfall P7). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimState } from '../src/state.ts';
import { DEMO_USERS, type SimulatorControl, type WeiboSimulator } from '../src/index.ts';
import { OTHER_UID, REDIRECT, UID, exchange, get, postForm, startSim } from './support/helpers.ts';

let sim: WeiboSimulator;
let base: string;
let control: SimulatorControl;
beforeAll(async () => {
  ({ sim, base } = await startSim());
  control = sim.control;
  await control.registerApp({ clientId: '1111111111', clientSecret: 'test-level-secret', redirectUris: [REDIRECT] });
});
afterAll(() => sim.close());

const APP = { client_id: '1111111111', client_secret: 'test-level-secret' };

async function loginTo(uid: string) {
  const res = await exchange(base, await control.mintCode({ uid, clientId: APP.client_id }), APP);
  expect(res.status).toBe(200);
  return res.json.access_token as string;
}
const show = (uid: string, token: string) => get(`${base}/2/users/show.json?uid=${uid}&access_token=${token}`);

describe('audited: false and testUids through the typed control client', () => {
  it('refuses a non-test user at users/show with the exact body, serves the test user, and lifts it once audited', async () => {
    const app = await control.updateApp(APP.client_id, { audited: false, testUids: [UID] });
    expect(app).toMatchObject({ audited: false, testUids: [UID] });
    expect((await control.apps()).find((a) => a.clientId === APP.client_id)).toMatchObject({ audited: false, testUids: [UID] });

    const outsider = await loginTo(OTHER_UID);
    const refused = await show(OTHER_UID, outsider);
    expect(refused.status).toBe(403);
    expect(refused.contentType).toBe('application/json;charset=UTF-8');
    expect(refused.text).toBe(
      '{"request":"/2/users/show.json","error_code":21321,"error":"applications over the unaudited use restrictions!"}',
    );
    expect((await show(UID, await loginTo(UID))).status).toBe(200);

    await control.updateApp(APP.client_id, { testUids: [UID, OTHER_UID] });
    expect((await show(OTHER_UID, outsider)).status).toBe(200);
    await control.updateApp(APP.client_id, { testUids: [UID] });
    expect((await show(OTHER_UID, outsider)).status).toBe(403);
    await control.updateApp(APP.client_id, { audited: true });
    expect((await show(OTHER_UID, outsider)).status).toBe(200);
  });

  it('the token exchange and get_token_info succeed; every /2/ call refuses', async () => {
    await control.updateApp(APP.client_id, { audited: false, testUids: [] });
    const exchanged = await exchange(base, await control.mintCode({ uid: OTHER_UID, clientId: APP.client_id }), APP);
    expect(exchanged.status).toBe(200);
    expect(exchanged.json.uid).toBe(OTHER_UID);
    const token = exchanged.json.access_token as string;
    // An /oauth2/ endpoint like the exchange: socialite reads the uid here before users/show refuses (reference §3, P7).
    const info = await postForm(`${base}/oauth2/get_token_info`, { access_token: token });
    expect(info.status).toBe(200);
    expect(info.json.uid).toBe(Number(OTHER_UID));
    const getUid = await get(`${base}/2/account/get_uid.json?access_token=${token}`);
    expect(getUid.status).toBe(403);
    expect(getUid.json).toEqual({
      request: '/2/account/get_uid.json',
      error_code: 21321,
      error: 'applications over the unaudited use restrictions!',
    });
    const byHeader = await get(`${base}/2/users/show.json?screen_name=${encodeURIComponent('林小暖')}`, {
      authorization: `OAuth2 ${token}`,
    });
    expect(byHeader.json.error_code).toBe(21321);
  });

  it('a revoked token of an unaudited app answers 21321 at the API, even a test user’s (reference §5)', async () => {
    await control.updateApp(APP.client_id, { audited: false, testUids: [UID] });
    const token = await loginTo(UID);
    expect((await get(`${base}/oauth2/revokeoauth2?access_token=${token}`)).json).toEqual({ result: 'true' });
    const after = await show(UID, token);
    expect(after.status).toBe(403);
    expect(after.json.error_code).toBe(21321);
    // The /oauth2/ endpoints still call it what it is.
    expect((await postForm(`${base}/oauth2/get_token_info`, { access_token: token })).json.error_code).toBe(21332);

    await control.updateApp(APP.client_id, { audited: true });
    const revokedWhenAudited = await show(UID, token);
    expect(revokedWhenAudited.status).toBe(401);
    expect(revokedWhenAudited.json.error_code).toBe(21332);
  });
});

describe('sweeping revoked tokens', () => {
  it('keeps an unaudited app’s revoked tokens (they still answer 21321) until they would have expired', () => {
    const unaudited = {
      clientId: '9',
      clientSecret: 's',
      name: 'x',
      redirectUris: [REDIRECT],
      audited: false,
      testUids: [],
      cancelCallbackUrl: null,
    };
    let now = 1_000_000;
    const state = new SimState([unaudited], DEMO_USERS, 60_000, 60, { now: () => now });
    const token = state.issueToken(UID, '9', null);
    token.revoked = true;
    state.sweep();
    expect(state.lookupToken(token.token).kind).toBe('revoked');
    now += 2 * 3600 * 1000;
    state.sweep();
    expect(state.lookupToken(token.token).kind).toBe('invalid');
  });
});
