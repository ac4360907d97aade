/** 21322 and 21324 as the token endpoint produces them on its own, for requests that really are wrong. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeiboSimulator } from '../src/index.ts';
import { CLIENT_ID, REDIRECT, approveCode, control, exchange, postForm, startSim } from './support/helpers.ts';

let sim: WeiboSimulator;
let base: string;
beforeAll(async () => ({ sim, base } = await startSim()));
afterAll(() => sim.close());

async function expectSpent(code: string) {
  expect((await exchange(base, code)).json.error_code).toBe(21325);
}

describe('21324 invalid_client', () => {
  it('a made-up client_id: 401 and the captured body, before any other check', async () => {
    // The captured request sent nothing but client_id and client_secret.
    const res = await postForm(`${base}/oauth2/access_token`, { client_id: '1', client_secret: '2' });
    expect(res.status).toBe(401);
    expect(res.contentType).toBe('text/plain;charset=UTF-8');
    expect(res.text).toBe(
      '{"error":"invalid_client","error_code":21324,"request":"/oauth2/access_token","error_uri":"/oauth2/access_token","error_description":"unknow client id:1"}',
    );
  });

  it("another app's secret for this client_id: 401, and the code is spent", async () => {
    await control(base, 'POST', 'apps', { clientId: '5000000005', clientSecret: 'secret-of-another-app', redirectUris: [REDIRECT] });
    const code = await approveCode(base);
    const res = await exchange(base, code, { client_secret: 'secret-of-another-app' });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ error: 'invalid_client', error_code: 21324 });
    await expectSpent(code);
  });
});

describe('21322 redirect_uri_mismatch', () => {
  it.each([
    ['a trailing slash', `${REDIRECT}/`],
    ['another registered callback', 'http://localhost:3000/weibo'],
    ['an extra query parameter', `${REDIRECT}?next=/`],
    ['https instead of http', REDIRECT.replace('http:', 'https:')],
  ])('%s: 400, and the code is spent', async (_name, redirectUri) => {
    const code = await approveCode(base);
    const res = await exchange(base, code, { redirect_uri: redirectUri });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: 'redirect_uri_mismatch', error_code: 21322, request: '/oauth2/access_token' });
    await expectSpent(code);
  });

  it('a code minted for another registered callback, exchanged with the first', async () => {
    const { codes } = (
      await control(base, 'POST', 'codes', { uid: '5285840175', clientId: CLIENT_ID, redirectUri: 'http://localhost:5173/weibo' })
    ).json;
    expect((await exchange(base, codes[0])).json.error_code).toBe(21322);
  });
});
