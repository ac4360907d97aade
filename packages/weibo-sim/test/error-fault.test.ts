/** The `error` fault mode: any Weibo error code at any endpoint, in the body form that endpoint uses. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_MODES, WEIBO_ERROR_CODES, type SimulatorControl, type WeiboSimulator } from '../src/index.ts';
import { CLIENT_ID, UID, approveCode, control as rawControl, exchange, get, login, postForm, startSim } from './support/helpers.ts';

let sim: WeiboSimulator;
let base: string;
let control: SimulatorControl;
let token: string;
beforeAll(async () => {
  ({ sim, base } = await startSim());
  control = sim.control;
  token = await login(base);
});
afterAll(() => sim.close());
afterEach(() => control.clearFaults());

const TEXT_PLAIN = 'text/plain;charset=UTF-8';
const usersShow = () => get(`${base}/2/users/show.json?uid=${UID}&access_token=${token}`);

describe('at the token endpoint: its five-key body, text/plain', () => {
  it.each([
    [21324, 401, 'invalid_client', `unknow client id:${CLIENT_ID}`],
    [21322, 400, 'redirect_uri_mismatch', 'redirect uri mismatch'],
    [21326, 400, 'unauthorized_client', 'unauthorized client'],
    [21327, 400, 'expired_token', 'expired_token:'],
  ] as const)('%i → %i %s', async (errorCode, status, error, description) => {
    await control.addFault({ endpoint: 'access_token', mode: 'error', errorCode, times: 1 });
    const code = await approveCode(base);
    const res = await exchange(base, code);
    expect(res.status).toBe(status);
    expect(res.contentType).toBe(TEXT_PLAIN);
    expect(res.json).toEqual({
      error,
      error_code: errorCode,
      request: '/oauth2/access_token',
      error_uri: '/oauth2/access_token',
      error_description: description,
    });
    // Like every fault there, the code was used up: a client must not retry the exchange.
    expect((await exchange(base, code)).json.error_code).toBe(21325);
  });

  it('an API-level code keeps the five keys, its sentence as error and description', async () => {
    await control.addFault({ endpoint: 'access_token', mode: 'error', errorCode: 10022 });
    const res = await postForm(`${base}/2/oauth2/access_token`, { code: 'x' });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({
      error: 'IP requests out of rate limit!',
      error_code: 10022,
      request: '/2/oauth2/access_token',
      error_uri: '/2/oauth2/access_token',
      error_description: 'IP requests out of rate limit!',
    });
  });

  it('invalid_grant names the code that was sent', async () => {
    await control.addFault({ endpoint: 'access_token', mode: 'error', errorCode: 21325 });
    const code = await approveCode(base);
    expect((await exchange(base, code)).json.error_description).toBe(`invalid authorization code:${code}`);
  });
});

describe('at the /2/ API: {error, error_code, request}', () => {
  it('21321 exactly as the unaudited refusal', async () => {
    await control.addFault({ endpoint: 'users_show', mode: 'error', errorCode: 21321 });
    const res = await usersShow();
    expect(res.status).toBe(403);
    expect(res.text).toBe(
      '{"request":"/2/users/show.json","error_code":21321,"error":"applications over the unaudited use restrictions!"}',
    );
  });

  it.each([
    [10023, 403, 'User requests out of rate limit!'],
    [10024, 403, 'User requests for (/2/users/show.json) out of rate limit!'],
    [21320, 403, 'OAuth2 must use https!'],
    [21327, 401, 'expired_token'],
    [21332, 401, 'invalid_access_token'],
    [21326, 403, 'unauthorized_client'],
    [10001, 500, 'system error!'],
  ] as const)('%i → %i %j', async (errorCode, status, error) => {
    await control.addFault({ endpoint: 'users_show', mode: 'error', errorCode, times: 1 });
    const res = await usersShow();
    expect(res.status).toBe(status);
    expect(res.contentType).toBe('application/json;charset=UTF-8');
    expect(res.json).toEqual({ error, error_code: errorCode, request: '/2/users/show.json' });
    expect((await usersShow()).status).toBe(200);
  });
});

describe('at the other /oauth2/ endpoints', () => {
  it('OAuth words in the five-key form, naming the token; API codes in the short form', async () => {
    await control.addFault({ endpoint: 'get_token_info', mode: 'error', errorCode: 21332, times: 1 });
    const info = await postForm(`${base}/oauth2/get_token_info`, { access_token: token });
    expect(info.status).toBe(400);
    expect(info.json).toEqual({
      error: 'invalid_access_token',
      error_code: 21332,
      request: '/oauth2/get_token_info',
      error_uri: '/oauth2/get_token_info',
      error_description: `invalid_access_token:${token}`,
    });
    await control.addFault({ endpoint: 'revokeoauth2', mode: 'error', errorCode: 21319, times: 1 });
    const revoked = await get(`${base}/oauth2/revokeoauth2?access_token=${token}`);
    expect(revoked.status).toBe(400);
    expect(revoked.json).toEqual({ error: 'accessor was revoked!', error_code: 21319, request: '/oauth2/revokeoauth2' });
  });

  it("'*' answers the code at every endpoint, and the faults list shows it", async () => {
    const id = await control.addFault({ endpoint: '*', mode: 'error', errorCode: 21331 });
    expect(await control.faults()).toEqual([{ id, endpoint: '*', mode: 'error', delayMs: 10_000, errorCode: 21331, remaining: null }]);
    expect((await usersShow()).status).toBe(503);
    expect((await get(`${base}/2/account/get_uid.json?access_token=${token}`)).json.error).toBe('temporarily_unavailable');
    expect((await exchange(base, 'c')).json.error_code).toBe(21331);
  });
});

describe('the control API refuses what cannot be answered', () => {
  it.each([
    ['no errorCode', { endpoint: 'users_show', mode: 'error' }],
    ['an unknown errorCode', { endpoint: 'users_show', mode: 'error', errorCode: 12345 }],
    ['a string errorCode', { endpoint: 'users_show', mode: 'error', errorCode: '21321' }],
    ['an errorCode with another mode', { endpoint: 'users_show', mode: '500', errorCode: 21321 }],
  ])('%s → 400', async (_name, body) => {
    const res = await rawControl(base, 'POST', 'faults', body);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/errorCode/);
  });

  it('keeps error out of FAULT_MODES, which clients loop over as "Weibo is unavailable"', () => {
    expect(FAULT_MODES).not.toContain('error');
  });

  it('accepts each code it lists', () => {
    for (const code of [21320, 21321, 21322, 21324, 21326, 10022, 10023, 10024, 21327, 21332]) {
      expect(WEIBO_ERROR_CODES).toContain(code);
    }
  });
});
