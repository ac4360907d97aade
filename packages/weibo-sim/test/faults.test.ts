import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WeiboSimulator } from '../src/index.ts';
import { UID, approveCode, control, exchange, get, login, postForm, startSim, tokenForm } from './support/helpers.ts';

let sim: WeiboSimulator;
let base: string;
let token: string;
beforeAll(async () => {
  ({ sim, base } = await startSim());
  token = await login(base);
});
afterAll(() => sim.close());
afterEach(() => control(base, 'DELETE', 'faults'));

const fault = (body: Record<string, unknown>) => control(base, 'POST', 'faults', body);
const usersShow = () => get(`${base}/2/users/show.json?uid=${UID}&access_token=${token}`);

/** The code must be gone after any faulty answer: a client must never retry an exchange. */
async function expectConsumed(code: string) {
  const retry = await exchange(base, code);
  expect(retry.status).toBe(400);
  expect(retry.json.error_code).toBe(21325);
}

describe('answering faults', () => {
  it('500: a Weibo system error body, and the code is consumed', async () => {
    expect((await fault({ endpoint: 'access_token', mode: '500', times: 1 })).json.id).toBeTypeOf('string');
    const code = await approveCode(base);
    const res = await exchange(base, code);
    expect(res.status).toBe(500);
    expect(res.json).toMatchObject({ error: 'system error!', error_code: 10001, request: '/oauth2/access_token' });
    await expectConsumed(code);
  });

  it('502: an nginx HTML page', async () => {
    await fault({ endpoint: 'users_show', mode: '502' });
    const res = await usersShow();
    expect(res.status).toBe(502);
    expect(res.contentType).toMatch(/^text\/html/);
    expect(res.text).toContain('502 Bad Gateway');
  });

  it('garbage: 200 with bytes that are not JSON', async () => {
    await fault({ endpoint: 'access_token', mode: 'garbage' });
    const res = await exchange(base, await approveCode(base));
    expect(res.status).toBe(200);
    expect(res.json).toBeUndefined();
    expect(res.text.length).toBeGreaterThan(0);
  });

  it('html: 200 with a Weibo-looking HTML page', async () => {
    await fault({ endpoint: 'get_token_info', mode: 'html' });
    const res = await postForm(`${base}/oauth2/get_token_info`, { access_token: token });
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/html/);
    expect(res.text).toMatch(/^<!DOCTYPE html>/);
  });

  it('empty: 200 with an empty body', async () => {
    await fault({ endpoint: 'access_token', mode: 'empty' });
    const res = await exchange(base, await approveCode(base));
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
  });

  it('wrong_types at the token endpoint: numbers and strings swapped', async () => {
    await fault({ endpoint: 'access_token', mode: 'wrong_types' });
    const res = await exchange(base, await approveCode(base));
    expect(res.status).toBe(200);
    expect(typeof res.json.uid).toBe('number');
    expect(typeof res.json.access_token).toBe('number');
    expect(typeof res.json.expires_in).toBe('string');
    expect(Number.isNaN(Number(res.json.expires_in))).toBe(true);
  });

  it('wrong_types at users/show: id a string, idstr a number, screen_name an object', async () => {
    await fault({ endpoint: 'users_show', mode: 'wrong_types' });
    const res = await usersShow();
    expect(typeof res.json.id).toBe('string');
    expect(typeof res.json.idstr).toBe('number');
    expect(typeof res.json.screen_name).toBe('object');
  });

  it('slow: the correct answer after delayMs', async () => {
    await fault({ endpoint: 'users_show', mode: 'slow', delayMs: 200, times: 1 });
    const started = Date.now();
    const res = await usersShow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    expect(res.status).toBe(200);
    expect(res.json.idstr).toBe(UID);
  });
});

describe('connection faults', () => {
  it('hang: never answers, so the client times out; the code is consumed', async () => {
    await fault({ endpoint: 'access_token', mode: 'hang', times: 1 });
    const code = await approveCode(base);
    const attempt = fetch(`${base}/oauth2/access_token`, {
      method: 'POST',
      body: new URLSearchParams(tokenForm(code)),
      signal: AbortSignal.timeout(300),
    });
    await expect(attempt).rejects.toThrow();
    await expectConsumed(code);
  });

  it('drop: the socket is destroyed without an answer; the code is consumed', async () => {
    await fault({ endpoint: 'access_token', mode: 'drop', times: 1 });
    const code = await approveCode(base);
    await expect(exchange(base, code)).rejects.toThrow();
    await expectConsumed(code);
  });
});

describe('fault bookkeeping', () => {
  it('times limits a fault to the next N requests', async () => {
    await fault({ endpoint: 'get_uid', mode: '500', times: 2 });
    const url = `${base}/2/account/get_uid.json?access_token=${token}`;
    expect((await get(url)).status).toBe(500);
    expect((await get(url)).status).toBe(500);
    expect((await get(url)).status).toBe(200);
  });

  it("'*' hits every API endpoint until DELETE /__sim/faults", async () => {
    await fault({ endpoint: '*', mode: '500' });
    expect((await usersShow()).status).toBe(500);
    expect((await get(`${base}/oauth2/revokeoauth2?access_token=x`)).status).toBe(500);
    expect((await get(`${base}/2/account/get_uid.json?access_token=${token}`)).status).toBe(500);
    await control(base, 'DELETE', 'faults');
    expect((await usersShow()).status).toBe(200);
  });

  it('rejects an unknown mode or endpoint', async () => {
    expect((await fault({ endpoint: 'access_token', mode: 'explode' })).status).toBe(400);
    expect((await fault({ endpoint: 'authorize', mode: '500' })).status).toBe(400);
  });
});
