/** What the authorize pages saw, through the control API: per-page and per-display counts, and the request log. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MOBILE_AUTHORIZE_PATH, NO_DISPLAY, type SimulatorControl, type WeiboSimulator } from '../src/index.ts';
import { CLIENT_ID, REDIRECT, UID, authorizeUrl, exchange, get, postForm, redirectOf, startSim } from './support/helpers.ts';

let sim: WeiboSimulator;
let base: string;
let control: SimulatorControl;
beforeAll(async () => {
  ({ sim, base } = await startSim());
  control = sim.control;
});
afterAll(() => sim.close());
beforeEach(() => control.reset());

const params = { client_id: CLIENT_ID, redirect_uri: REDIRECT, response_type: 'code' };
const mobileUrl = (extra: Record<string, string>) => `${base}${MOBILE_AUTHORIZE_PATH}?${new URLSearchParams({ ...params, ...extra })}`;

describe('stats: authorize requests and codes by page and display', () => {
  it('counts every request by page and display, and every code by display and by who minted it', async () => {
    await get(authorizeUrl(base, params));
    await get(authorizeUrl(base, { ...params, display: 'default' }));
    await get(mobileUrl({ display: 'mobile' }));
    await redirectOf(mobileUrl({ display: 'mobile', sim_uid: UID, sim_action: 'approve' }));
    await redirectOf(authorizeUrl(base, { ...params, sim_uid: UID, sim_action: 'approve' }));
    await postForm(`${base}${MOBILE_AUTHORIZE_PATH}/decision`, { ...params, display: 'wap', uid: UID, action: 'approve' });
    await control.mintCode({ uid: UID, display: 'mobile' });
    await control.mintCode({ uid: UID });

    const stats = await control.stats();
    expect(stats.requests.authorize).toBe(5);
    expect(stats.authorize).toEqual({ byPage: { desktop: 3, mobile: 2 }, byDisplay: { [NO_DISPLAY]: 2, default: 1, mobile: 2 } });
    expect(stats.codes.issued).toBe(5);
    expect(stats.codes.byDisplay).toEqual({ mobile: 2, [NO_DISPLAY]: 2, wap: 1 });
    expect(stats.codes.bySource).toEqual({ desktop: 1, mobile: 2, control: 2 });
  });

  it('counts the error page too, and reset zeroes everything', async () => {
    await get(mobileUrl({ client_id: '999', display: 'mobile' }));
    expect((await control.stats()).authorize.byPage.mobile).toBe(1);
    await control.reset();
    const stats = await control.stats();
    expect(stats.authorize).toEqual({ byPage: { desktop: 0, mobile: 0 }, byDisplay: {} });
    expect(stats.codes.bySource).toEqual({ desktop: 0, mobile: 0, control: 0 });
    expect(await control.lastAuthorize()).toBeNull();
  });
});

describe('the authorize log', () => {
  it('records the page, method and raw parameters of the newest request', async () => {
    await get(mobileUrl({ display: 'mobile', forcelogin: 'true', scope: 'email', state: 'st' }));
    expect(await control.lastAuthorize()).toEqual({
      page: 'mobile',
      method: 'GET',
      clientId: CLIENT_ID,
      redirectUri: REDIRECT,
      responseType: 'code',
      display: 'mobile',
      forcelogin: 'true',
      scope: 'email',
      state: 'st',
      outcome: 'consent',
      errorCode: null,
      at: expect.any(Number),
    });
    await postForm(`${base}/oauth2/authorize`, { client_id: CLIENT_ID, redirect_uri: REDIRECT });
    expect(await control.lastAuthorize()).toMatchObject({ page: 'desktop', method: 'POST', display: null, forcelogin: null, state: null });
  });

  it('says what the page did: error (with the code), approved or denied', async () => {
    await get(authorizeUrl(base, { ...params, redirect_uri: 'http://evil.example/cb' }));
    expect(await control.lastAuthorize()).toMatchObject({ outcome: 'error', errorCode: 21322, redirectUri: 'http://evil.example/cb' });
    const { location } = await redirectOf(mobileUrl({ display: 'mobile', sim_uid: UID, sim_action: 'approve' }));
    expect(await control.lastAuthorize()).toMatchObject({ page: 'mobile', outcome: 'approved', errorCode: null });
    // The code that approval minted carries display=mobile through to a working exchange.
    expect((await exchange(base, new URL(location!).searchParams.get('code')!)).status).toBe(200);
    await redirectOf(authorizeUrl(base, { ...params, sim_action: 'deny' }));
    expect(await control.lastAuthorize()).toMatchObject({ page: 'desktop', outcome: 'denied' });
  });

  it('lists newest first, filters by app and limits', async () => {
    await get(authorizeUrl(base, { ...params, state: 'one' }));
    await get(mobileUrl({ client_id: '2000000002', state: 'two' }));
    await get(mobileUrl({ state: 'three' }));
    expect((await control.authorizeLog()).map((r) => r.state)).toEqual(['three', 'two', 'one']);
    expect((await control.authorizeLog({ clientId: CLIENT_ID })).map((r) => r.state)).toEqual(['three', 'one']);
    expect((await control.authorizeLog({ limit: 1 })).map((r) => r.state)).toEqual(['three']);
    expect((await control.lastAuthorize({ clientId: '2000000002' }))?.errorCode).toBe(21324);
    await expect(control.authorizeLog({ limit: 0 })).rejects.toThrow(/limit must be a positive integer/);
  });

  it('keeps only the newest 200', async () => {
    for (let i = 0; i < 205; i++) await get(authorizeUrl(base, { ...params, state: String(i) }));
    const records = await control.authorizeLog();
    expect(records).toHaveLength(200);
    expect(records[0]!.state).toBe('204');
    expect(records.at(-1)!.state).toBe('5');
  });
});
