/** Per-app quotas at the /2/ API: 10022 per IP, 10023 per user, 10024 per user and API, in hourly windows on an injected clock. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorControl, WeiboSimulator } from '../src/index.ts';
import { CLIENT_SECRET, OTHER_UID, REDIRECT, UID, exchange, get, startSim } from './support/helpers.ts';

const HOUR = 3600 * 1000;
/** 10:00:00.000 on some day: windows are aligned to the hour. */
const TEN_O_CLOCK = Date.UTC(2025, 0, 6, 2);
let now = TEN_O_CLOCK;

let sim: WeiboSimulator;
let base: string;
let control: SimulatorControl;
beforeAll(async () => {
  ({ sim, base } = await startSim({ now: () => now }));
  control = sim.control;
});
afterAll(() => sim.close());
afterEach(() => control.reset());

const APP = { client_id: '2222222222', client_secret: 'quota-secret' };

async function tokenOf(uid: string, clientId = APP.client_id): Promise<string> {
  const secret = clientId === APP.client_id ? APP.client_secret : CLIENT_SECRET;
  const res = await exchange(base, await control.mintCode({ uid, clientId }), { client_id: clientId, client_secret: secret });
  return res.json.access_token as string;
}
const show = (token: string, uid = UID) => get(`${base}/2/users/show.json?uid=${uid}&access_token=${token}`);
const statuses = async (count: number, call: () => ReturnType<typeof show>) => {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await call()).status);
  return seen;
};

async function registerApp(rateLimits: Record<string, number>) {
  now = TEN_O_CLOCK;
  await control.registerApp({ clientId: APP.client_id, clientSecret: APP.client_secret, redirectUris: [REDIRECT], rateLimits });
}

describe('per user (10023)', () => {
  it('answers the quota, then 403 10023 in the captured body, until the next hour', async () => {
    await registerApp({ perUserPerHour: 3 });
    const token = await tokenOf(UID);
    expect(await statuses(3, () => show(token))).toEqual([200, 200, 200]);
    const refused = await show(token);
    expect(refused.status).toBe(403);
    expect(refused.contentType).toBe('application/json;charset=UTF-8');
    expect(refused.text).toBe('{"error":"User requests out of rate limit!","error_code":10023,"request":"/2/users/show.json"}');
    // Refused requests use nothing up, and another user has a quota of their own.
    expect((await show(await tokenOf(OTHER_UID), OTHER_UID)).status).toBe(200);
    now = TEN_O_CLOCK + HOUR - 1;
    expect((await show(token)).status).toBe(403);
    now = TEN_O_CLOCK + HOUR;
    expect(await statuses(4, () => show(token))).toEqual([200, 200, 200, 403]);
    expect((await control.stats()).rateLimited).toEqual({ 10022: 0, 10023: 3, 10024: 0 });
  });

  it('counts every token of the user in the app, but not account/get_uid, which has no limit, nor the oauth2 endpoints', async () => {
    await registerApp({ perUserPerHour: 2 });
    const first = await tokenOf(UID);
    const second = await tokenOf(UID);
    expect(await statuses(3, () => show(second))).toEqual([200, 200, 403]);
    expect((await show(first)).status).toBe(403);
    expect((await get(`${base}/2/account/get_uid.json?access_token=${first}`)).status).toBe(200);
    expect(await tokenOf(UID)).toMatch(/^2\.00/);
  });
});

describe('per user and API (10024)', () => {
  it('names the API in the sentence and comes after the per-user check', async () => {
    await registerApp({ perUserPerHour: 5, perUserPerApiPerHour: 2 });
    const token = await tokenOf(UID);
    expect(await statuses(2, () => show(token))).toEqual([200, 200]);
    const refused = await show(token);
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({
      error: 'User requests for (/2/users/show.json) out of rate limit!',
      error_code: 10024,
      request: '/2/users/show.json',
    });
  });

  it('the user quota wins when it is the smaller', async () => {
    await registerApp({ perUserPerHour: 1, perUserPerApiPerHour: 5 });
    const token = await tokenOf(UID);
    await show(token);
    expect((await show(token)).json.error_code).toBe(10023);
  });
});

describe('per IP (10022)', () => {
  it('counts all users from one address, first of the three checks', async () => {
    await registerApp({ perIpPerHour: 3, perUserPerHour: 1 });
    const tokens = [await tokenOf(UID), await tokenOf(OTHER_UID), await tokenOf('7310598246')];
    expect((await show(tokens[0]!)).status).toBe(200);
    expect((await show(tokens[1]!, OTHER_UID)).status).toBe(200);
    expect((await show(tokens[2]!)).status).toBe(200);
    const refused = await show(tokens[0]!);
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({ error: 'IP requests out of rate limit!', error_code: 10022, request: '/2/users/show.json' });
  });

  it('is per app: the demo app, without quotas, is untouched', async () => {
    await registerApp({ perIpPerHour: 1 });
    const token = await tokenOf(UID);
    await show(token);
    expect((await show(token)).status).toBe(403);
    expect((await show(await tokenOf(UID, '3516473472'))).status).toBe(200);
  });
});

describe('windows and settings', () => {
  it('the control client can end the window, change the quotas and remove them', async () => {
    await registerApp({ perUserPerHour: 1 });
    const token = await tokenOf(UID);
    expect(await statuses(2, () => show(token))).toEqual([200, 403]);
    await control.newRateLimitWindow();
    expect(await statuses(2, () => show(token))).toEqual([200, 403]);
    const raised = await control.updateApp(APP.client_id, { rateLimits: { perUserPerHour: 3 } });
    expect(raised.rateLimits).toEqual({ perUserPerHour: 3 });
    // One request of this window was answered, so two more fit.
    expect(await statuses(3, () => show(token))).toEqual([200, 200, 403]);
    const removed = await control.updateApp(APP.client_id, { rateLimits: null });
    expect(removed).not.toHaveProperty('rateLimits');
    expect(await statuses(3, () => show(token))).toEqual([200, 200, 200]);
  });

  it('a configured window length replaces the hour', async () => {
    let clock = TEN_O_CLOCK;
    const short = await startSim({ now: () => clock, rateLimitWindowMs: 60_000 });
    try {
      await short.sim.control.updateApp('3516473472', { rateLimits: { perUserPerHour: 1 } });
      const code = await short.sim.control.mintCode({ uid: UID });
      const token = (await exchange(short.base, code)).json.access_token as string;
      const call = () => get(`${short.base}/2/users/show.json?uid=${UID}&access_token=${token}`);
      expect((await call()).status).toBe(200);
      expect((await call()).status).toBe(403);
      clock += 60_000;
      expect((await call()).status).toBe(200);
    } finally {
      await short.sim.close();
    }
  });

  it('refuses malformed quotas', async () => {
    await expect(
      control.registerApp({ clientId: '3', clientSecret: 's', redirectUris: [REDIRECT], rateLimits: { perIpPerHour: -1 } }),
    ).rejects.toThrow(/perIpPerHour must be an integer/);
    const raw = await fetch(`${base}/__sim/apps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: '3', clientSecret: 's', redirectUris: [REDIRECT], rateLimits: { perDay: 5 } }),
    });
    expect(raw.status).toBe(400);
  });
});
