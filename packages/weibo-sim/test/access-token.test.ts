import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeiboSimulator } from '../src/index.ts';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  REDIRECT,
  UID,
  approveCode,
  control,
  exchange,
  get,
  postForm,
  startSim,
  tokenForm,
} from './support/helpers.ts';

let sim: WeiboSimulator;
let base: string;
beforeAll(async () => ({ sim, base } = await startSim()));
afterAll(() => sim.close());

const TEXT_PLAIN = 'text/plain;charset=UTF-8';

describe('successful exchange', () => {
  it('answers the observed JSON types with Content-Type text/plain', async () => {
    const res = await exchange(base, await approveCode(base));
    expect(res.status).toBe(200);
    expect(res.contentType).toBe(TEXT_PLAIN);
    expect(Object.keys(res.json)).toEqual(['access_token', 'remind_in', 'expires_in', 'uid', 'isRealName']);
    expect(res.json.access_token).toMatch(/^2\.00[A-Za-z0-9]{28}$/);
    expect(res.json.expires_in).toBe(86400);
    expect(res.json.remind_in).toBe('86400');
    expect(res.json.uid).toBe(UID);
    expect(res.json.isRealName).toBe('true');
  });

  it('echoes the granted scope', async () => {
    const res = await exchange(base, await approveCode(base, UID, { scope: 'email,all' }));
    expect(res.json.scope).toBe('email,all');
  });

  it('gives a new token for every exchange', async () => {
    const first = await exchange(base, await approveCode(base));
    const second = await exchange(base, await approveCode(base));
    expect(first.json.access_token).not.toBe(second.json.access_token);
  });

  it('accepts every parameter in the query string of a body-less POST', async () => {
    const code = await approveCode(base);
    const res = await fetch(`${base}/oauth2/access_token?${new URLSearchParams(tokenForm(code))}`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { uid: string }).uid).toBe(UID);
  });

  it('merges query and form, the body winning', async () => {
    const code = await approveCode(base);
    const query = new URLSearchParams({ client_id: CLIENT_ID, client_secret: 'wrong', grant_type: 'authorization_code' });
    const res = await postForm(`${base}/oauth2/access_token?${query}`, { client_secret: CLIENT_SECRET, code, redirect_uri: REDIRECT });
    expect(res.status).toBe(200);

    const code2 = await approveCode(base);
    const goodQuery = new URLSearchParams({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    const bad = await postForm(`${base}/oauth2/access_token?${goodQuery}`, {
      client_secret: 'wrong',
      grant_type: 'authorization_code',
      code: code2,
      redirect_uri: REDIRECT,
    });
    expect(bad.status).toBe(401);
  });

  it('works at the /2/oauth2/access_token alias, whose errors echo that path', async () => {
    const ok = await postForm(`${base}/2/oauth2/access_token`, tokenForm(await approveCode(base)));
    expect(ok.status).toBe(200);
    expect(ok.contentType).toBe(TEXT_PLAIN);
    const bad = await postForm(`${base}/2/oauth2/access_token`, tokenForm('0'.repeat(32)));
    expect(bad.json.request).toBe('/2/oauth2/access_token');
    expect(bad.json.error_uri).toBe('/2/oauth2/access_token');
  });
});

describe('errors', () => {
  const cases: [string, Record<string, string | undefined>, number, string, number][] = [
    ['wrong client_secret', { client_secret: 'nope' }, 401, 'invalid_client', 21324],
    ['unknown client_id', { client_id: '1234567890' }, 401, 'invalid_client', 21324],
    ['missing client_secret', { client_secret: undefined }, 400, 'invalid_request', 21323],
    ['missing client_id', { client_id: undefined }, 400, 'invalid_request', 21323],
    ['missing grant_type', { grant_type: undefined }, 400, 'invalid_request', 21323],
    ['missing redirect_uri', { redirect_uri: undefined }, 400, 'invalid_request', 21323],
    ['grant_type=refresh_token', { grant_type: 'refresh_token' }, 400, 'unsupported_grant_type', 21328],
    ['redirect_uri differing from authorize', { redirect_uri: 'http://localhost:5173/weibo' }, 400, 'redirect_uri_mismatch', 21322],
  ];
  it.each(cases)('%s → %i %s %i', async (_name, overrides, status, error, errorCode) => {
    const form = tokenForm(await approveCode(base));
    for (const [key, value] of Object.entries(overrides)) {
      if (value === undefined) delete form[key];
      else form[key] = value;
    }
    const res = await postForm(`${base}/oauth2/access_token`, form);
    expect(res.status).toBe(status);
    expect(res.contentType).toBe(TEXT_PLAIN);
    expect(res.json).toMatchObject({ error, error_code: errorCode, request: '/oauth2/access_token', error_uri: '/oauth2/access_token' });
    expect(typeof res.json.error_description).toBe('string');
  });

  it('unknown code → 400 invalid_grant 21325 naming the code', async () => {
    const code = 'ab'.repeat(16);
    const res = await exchange(base, code);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: 'invalid_grant',
      error_code: 21325,
      request: '/oauth2/access_token',
      error_uri: '/oauth2/access_token',
      error_description: `invalid authorization code:${code}`,
    });
  });

  it('missing code → invalid_grant 21325, as the real server answered a client that ignored a denial', async () => {
    const form = tokenForm('x');
    delete form.code;
    const res = await postForm(`${base}/oauth2/access_token`, form);
    expect(res.status).toBe(400);
    expect(res.json.error_code).toBe(21325);
  });

  it('a code issued to another client → 21325', async () => {
    await control(base, 'POST', 'apps', { clientId: '2000000001', clientSecret: 'other-secret', redirectUris: [REDIRECT] });
    const res = await exchange(base, await approveCode(base), { client_id: '2000000001', client_secret: 'other-secret' });
    expect(res.status).toBe(400);
    expect(res.json.error_code).toBe(21325);
  });

  it('GET on the token endpoint → 400 10021', async () => {
    const res = await get(`${base}/oauth2/access_token?${new URLSearchParams(tokenForm('x'))}`);
    expect(res.status).toBe(400);
    expect(res.json.error_code).toBe(10021);
  });
});

describe('single use and expiry', () => {
  it('a second use of a code → 21325', async () => {
    const code = await approveCode(base);
    expect((await exchange(base, code)).status).toBe(200);
    const again = await exchange(base, code);
    expect(again.status).toBe(400);
    expect(again.json.error_code).toBe(21325);
  });

  it('a first attempt that failed (redirect mismatch, wrong secret) still consumes the code', async () => {
    const failures: Record<string, string>[] = [{ redirect_uri: 'http://localhost:5173/weibo' }, { client_secret: 'wrong' }];
    for (const overrides of failures) {
      const code = await approveCode(base);
      expect((await exchange(base, code, overrides)).status).not.toBe(200);
      const retry = await exchange(base, code);
      expect(retry.status).toBe(400);
      expect(retry.json.error_code).toBe(21325);
    }
  });

  it('codes expire after codeTtlMs; tokenTtlSeconds sets expires_in', async () => {
    const short = await startSim({ codeTtlMs: 50, tokenTtlSeconds: 3600 });
    try {
      const fresh = await exchange(short.base, await approveCode(short.base));
      expect(fresh.json.expires_in).toBe(3600);
      const code = await approveCode(short.base);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const late = await exchange(short.base, code);
      expect(late.status).toBe(400);
      expect(late.json.error_code).toBe(21325);
    } finally {
      await short.sim.close();
    }
  });
});
