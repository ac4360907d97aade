import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeiboSimulator } from '../src/index.ts';
import { CLIENT_ID, OTHER_UID, UID, approveCode, control, exchange, get, login, postForm, startSim } from './support/helpers.ts';

let sim: WeiboSimulator;
let base: string;
beforeAll(async () => ({ sim, base } = await startSim()));
afterAll(() => sim.close());

const tokenInfo = (token: string) => postForm(`${base}/oauth2/get_token_info`, { access_token: token });

/** A tiny stand-in for the app's 取消授权回调页 that records what it receives. */
async function startCallbackServer(): Promise<{ server: Server; url: string; received: Promise<{ contentType: string; body: string }> }> {
  let resolve!: (value: { contentType: string; body: string }) => void;
  const received = new Promise<{ contentType: string; body: string }>((r) => (resolve = r));
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      res.end('ok');
      resolve({ contentType: req.headers['content-type'] ?? '', body });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/weibo/cancel`, received };
}

describe('get_token_info', () => {
  it('answers numbers for uid/appkey/create_at/expire_in and a null scope', async () => {
    const token = await login(base);
    const res = await tokenInfo(token);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/json;charset=UTF-8');
    expect(Object.keys(res.json).sort()).toEqual(['appkey', 'create_at', 'expire_in', 'scope', 'uid']);
    expect(res.json.uid).toBe(Number(UID));
    expect(res.json.appkey).toBe(Number(CLIENT_ID));
    expect(res.json.scope).toBeNull();
    expect(Math.abs(res.json.create_at - Date.now() / 1000)).toBeLessThan(60);
    expect(res.json.expire_in).toBeGreaterThan(86_000);
    expect(res.json.expire_in).toBeLessThanOrEqual(86_400);
  });

  it('takes the token from the query string too, and reports a granted scope', async () => {
    const tokenRes = await exchange(base, await approveCode(base, UID, { scope: 'email' }));
    const res = await fetch(`${base}/oauth2/get_token_info?access_token=${tokenRes.json.access_token}`, { method: 'POST' });
    expect(((await res.json()) as { scope: string }).scope).toBe('email');
  });

  it('unknown token → 400 invalid_access_token 21332', async () => {
    const res = await tokenInfo('2.00nonexistent');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: 'invalid_access_token', error_code: 21332, request: '/oauth2/get_token_info' });
  });

  it('expired token → 400 expired_token 21327 (also at users/show)', async () => {
    const token = await login(base, OTHER_UID);
    expect((await control(base, 'POST', 'tokens/expire', { uid: OTHER_UID })).json.count).toBeGreaterThanOrEqual(1);
    const res = await tokenInfo(token);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: 'expired_token', error_code: 21327 });
    const show = await get(`${base}/2/users/show.json?uid=${OTHER_UID}&access_token=${token}`);
    expect(show.json.error_code).toBe(21327);
  });
});

describe('revokeoauth2', () => {
  it('GET and POST answer {"result":"true"} and the token then fails everywhere', async () => {
    const viaGet = await login(base);
    const res = await get(`${base}/oauth2/revokeoauth2?access_token=${viaGet}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"result":"true"}');

    const viaPost = await login(base);
    expect((await postForm(`${base}/oauth2/revokeoauth2`, { access_token: viaPost })).json).toEqual({ result: 'true' });

    for (const token of [viaGet, viaPost]) {
      expect((await tokenInfo(token)).json.error_code).toBe(21332);
      const show = await get(`${base}/2/users/show.json?uid=${UID}&access_token=${token}`);
      expect(show.status).toBe(401);
      expect(show.json.error_code).toBe(21332);
    }
    expect((await get(`${base}/oauth2/revokeoauth2?access_token=${viaGet}`)).json.error_code).toBe(21332);
  });

  it('revokes only the token given: another login of the same user keeps working', async () => {
    const keep = await login(base);
    await postForm(`${base}/oauth2/revokeoauth2`, { access_token: await login(base) });
    expect((await tokenInfo(keep)).status).toBe(200);
  });

  it('POSTs source, uid and auth_end to the app cancel callback', async () => {
    const callback = await startCallbackServer();
    try {
      await control(base, 'PATCH', `apps/${CLIENT_ID}`, { cancelCallbackUrl: callback.url });
      await get(`${base}/oauth2/revokeoauth2?access_token=${await login(base)}`);
      const { contentType, body } = await callback.received;
      expect(contentType).toMatch(/^application\/x-www-form-urlencoded/);
      const params = new URLSearchParams(body);
      expect(params.get('source')).toBe(CLIENT_ID);
      expect(params.get('uid')).toBe(UID);
      expect(Math.abs(Number(params.get('auth_end')) - Date.now() / 1000)).toBeLessThan(60);
    } finally {
      await control(base, 'PATCH', `apps/${CLIENT_ID}`, { cancelCallbackUrl: null });
      callback.server.close();
    }
  });

  it('/__sim/tokens/revoke revokes every token of the user and fires the callback', async () => {
    const callback = await startCallbackServer();
    try {
      await control(base, 'PATCH', `apps/${CLIENT_ID}`, { cancelCallbackUrl: callback.url });
      const tokens = [await login(base, OTHER_UID), await login(base, OTHER_UID)];
      const res = await control(base, 'POST', 'tokens/revoke', { uid: OTHER_UID });
      expect(res.json.count).toBeGreaterThanOrEqual(2);
      expect(new URLSearchParams((await callback.received).body).get('uid')).toBe(OTHER_UID);
      for (const token of tokens) expect((await tokenInfo(token)).json.error_code).toBe(21332);
    } finally {
      await control(base, 'PATCH', `apps/${CLIENT_ID}`, { cancelCallbackUrl: null });
      callback.server.close();
    }
  });

  it('a failing callback is counted, never fatal', async () => {
    // A port that was just free: nothing listens there.
    const dead = await startCallbackServer();
    dead.server.close();
    await control(base, 'PATCH', `apps/${CLIENT_ID}`, { cancelCallbackUrl: dead.url });
    try {
      await get(`${base}/oauth2/revokeoauth2?access_token=${await login(base)}`);
      await expect
        .poll(async () => (await control(base, 'GET', 'stats')).json.cancelCallbacks.failed, { timeout: 5000 })
        .toBeGreaterThanOrEqual(1);
      expect((await exchange(base, await approveCode(base))).status).toBe(200);
    } finally {
      await control(base, 'PATCH', `apps/${CLIENT_ID}`, { cancelCallbackUrl: null });
    }
  });

  it('without a token → 403 21301', async () => {
    const res = await get(`${base}/oauth2/revokeoauth2`);
    expect(res.status).toBe(403);
    expect(res.json.error_code).toBe(21301);
  });
});
