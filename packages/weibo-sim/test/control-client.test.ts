/** The typed control client (src/control-client.ts) against a running simulator: every call, and a refusal. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorControl, type SimulatorControl, type WeiboSimulator } from '../src/index.ts';
import { CLIENT_ID, CLIENT_SECRET, postForm, REDIRECT, startSim } from './support/helpers.ts';

let sim: WeiboSimulator;
let control: SimulatorControl;
beforeAll(async () => {
  ({ sim } = await startSim());
  control = createSimulatorControl(`${sim.url}/`);
});
afterAll(() => sim.close());

const exchange = (code: string) =>
  postForm(`${sim.url}/oauth2/access_token`, {
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
  });

describe('the control client', () => {
  it('makes and changes users, and mints codes that Weibo exchanges', async () => {
    const user = await control.createUser({ screenName: '客户端', gender: 'f' });
    expect(user).toMatchObject({ screenName: '客户端', gender: 'f' });
    expect(user.uid).toMatch(/^\d+$/);
    expect((await control.updateUser(user.uid, { screenName: '改名' })).screenName).toBe('改名');
    expect((await control.users()).map((u) => u.uid)).toContain(user.uid);
    const codes = await control.mintCodes({ uid: user.uid, count: 3 });
    expect(new Set(codes).size).toBe(3);
    expect((await exchange(codes[0]!)).status).toBe(200);
    expect((await exchange(await control.mintCode({ uid: user.uid, redirectUri: REDIRECT }))).json.uid).toBe(user.uid);
    expect((await control.stats()).requests.access_token).toBe(2);
  });

  it('registers and changes apps', async () => {
    const app = await control.registerApp({
      clientId: '1234567890',
      clientSecret: 'client-secret',
      redirectUris: ['https://a.example/cb'],
    });
    expect(app).toMatchObject({ clientId: '1234567890', audited: true });
    const changed = await control.updateApp('1234567890', { audited: false, addRedirectUris: ['https://b.example/cb'] });
    expect(changed).toMatchObject({ audited: false, redirectUris: ['https://a.example/cb', 'https://b.example/cb'] });
    expect((await control.apps()).map((a) => a.clientId)).toContain('1234567890');
  });

  it('adds, lists and removes faults', async () => {
    const id = await control.addFault({ endpoint: 'users_show', mode: '502', times: 2 });
    const other = await control.addFault({ endpoint: '*', mode: 'hang' });
    expect((await control.faults()).map((f) => f.id)).toEqual([id, other]);
    await control.removeFault(id);
    expect((await control.faults()).map((f) => f.id)).toEqual([other]);
    await control.clearFaults();
    expect(await control.faults()).toEqual([]);
  });

  it('expires and revokes a user’s tokens, saying how many', async () => {
    const { uid } = await control.createUser({ screenName: '令牌' });
    expect((await exchange(await control.mintCode({ uid }))).status).toBe(200);
    expect((await exchange(await control.mintCode({ uid }))).status).toBe(200);
    expect(await control.expireTokens({ uid })).toBe(2);
    expect(await control.revokeTokens({ uid })).toBe(2);
    expect((await control.stats()).tokens.issued).toBeGreaterThanOrEqual(2);
  });

  it('throws the simulator’s message when it refuses, and resets', async () => {
    await expect(control.mintCode({ uid: '1' })).rejects.toThrow(/400 uid must name an existing user/);
    await expect(control.removeFault('nope')).rejects.toThrow(/404 no such fault/);
    await control.reset();
    expect((await control.stats()).requests.access_token ?? 0).toBe(0);
  });

  it('is what the simulator hands out as its control, once listening', () => {
    expect(sim.control.url).toBe(sim.url);
  });
});
