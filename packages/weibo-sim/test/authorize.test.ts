import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, SESSION_COOKIE, XSS_SCREEN_NAME, type WeiboSimulator } from '../src/index.ts';
import { CLIENT_ID, HEX32, REDIRECT, UID, authorizeUrl, control, get, postForm, redirectOf, startSim } from './support/helpers.ts';

let sim: WeiboSimulator;
let base: string;
beforeAll(async () => ({ sim, base } = await startSim()));
afterAll(() => sim.close());

const DENIAL = 'error_uri=%2Foauth2%2Fauthorize&error=access_denied&error_description=user%20denied%20your%20request.&error_code=21330';

function decision(form: Record<string, string>) {
  return postForm(`${base}/oauth2/authorize/decision`, { client_id: CLIENT_ID, redirect_uri: REDIRECT, ...form });
}

describe('authorize error page (never redirects for app problems)', () => {
  it('unknown client_id: 400 HTML 21324', async () => {
    const res = await get(authorizeUrl(base, { client_id: '999', redirect_uri: REDIRECT }));
    expect(res.status).toBe(400);
    expect(res.contentType).toMatch(/^text\/html/);
    expect(res.headers.get('location')).toBeNull();
    expect(res.text).toContain('错误码：21324');
  });

  it.each([['http://127.0.0.1:5173/weibo/'], ['http://127.0.0.1:5174/weibo'], ['https://127.0.0.1:5173/weibo'], ['']])(
    'redirect_uri %j that is not an exact registered match: 400 HTML 21322',
    async (redirect) => {
      const res = await get(authorizeUrl(base, { client_id: CLIENT_ID, redirect_uri: redirect }));
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.text).toContain('错误码：21322 重定向地址不匹配');
    },
  );

  it('response_type other than code: 21329', async () => {
    const res = await get(authorizeUrl(base, { client_id: CLIENT_ID, redirect_uri: REDIRECT, response_type: 'token' }));
    expect(res.status).toBe(400);
    expect(res.text).toContain('21329');
  });
});

describe('consent page', () => {
  const params = { client_id: CLIENT_ID, redirect_uri: REDIRECT, response_type: 'code', state: 's"><x', scope: 'email' };

  it('lists every user, escapes the HTML screen name and carries the parameters', async () => {
    const res = await get(authorizeUrl(base, params));
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/html/);
    for (const user of DEMO_USERS) expect(res.text).toContain(`value="${user.uid}"`);
    expect(res.text).toContain('林小暖');
    expect(res.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(res.text).not.toContain(XSS_SCREEN_NAME);
    expect(res.text).not.toContain('<script>');
    expect(res.text).toContain('微博登录演示');
    expect(res.text).toContain('授权');
    expect(res.text).toContain('取消');
    expect(res.text).toContain('action="/oauth2/authorize/decision"');
    expect(res.text).toContain('value="s&quot;&gt;&lt;x"');
    expect(res.text).toContain('（email）');
    expect(res.text).not.toContain('required checked');
  });

  it('pre-selects the remembered user, but not with forcelogin=true', async () => {
    const cookie = { cookie: `${SESSION_COOKIE}=${UID}` };
    const remembered = await get(authorizeUrl(base, params), cookie);
    expect(remembered.text).toMatch(new RegExp(`value="${UID}" required checked`));
    const forced = await get(authorizeUrl(base, { ...params, forcelogin: 'true' }), cookie);
    expect(forced.text).not.toContain('required checked');
    expect(forced.text).toContain('重新登录');
  });

  it('is also served for POST /oauth2/authorize', async () => {
    const res = await postForm(`${base}/oauth2/authorize`, { client_id: CLIENT_ID, redirect_uri: REDIRECT });
    expect(res.status).toBe(200);
    expect(res.text).toContain('授权');
  });
});

describe('decision redirects', () => {
  it('approve: 302 to redirect_uri?code=<32 hex>&state=<state> and remembers the user', async () => {
    const res = await fetch(`${base}/oauth2/authorize/decision`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: REDIRECT, state: 'a b&c', uid: UID, action: 'approve' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^${REDIRECT}\\?code=[0-9a-f]{32}&state=a%20b%26c$`));
    expect(res.headers.get('set-cookie')).toContain(`${SESSION_COOKIE}=${UID}`);
  });

  it('approve without state: no state parameter', async () => {
    const { location } = await redirectOf(`${base}/oauth2/authorize/decision`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: REDIRECT, uid: UID, action: 'approve' }),
    });
    expect(location).toMatch(new RegExp(`^${REDIRECT}\\?code=[0-9a-f]{32}$`));
  });

  it('approve appends with & when redirect_uri already has a query', async () => {
    const withQuery = 'http://127.0.0.1:3000/weibo?from=login';
    await control(base, 'PATCH', `apps/${CLIENT_ID}`, { addRedirectUris: [withQuery] });
    const { location } = await redirectOf(
      authorizeUrl(base, { client_id: CLIENT_ID, redirect_uri: withQuery, state: 'x', sim_uid: UID, sim_action: 'approve' }),
    );
    expect(location).toMatch(/^http:\/\/127\.0\.0\.1:3000\/weibo\?from=login&code=[0-9a-f]{32}&state=x$/);
  });

  it('deny: 302 with the exact access_denied query and the state', async () => {
    const res = await decision({ state: 'xyz', action: 'deny' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${REDIRECT}?${DENIAL}&state=xyz`);
  });

  it('approve with no user chosen: the page again, 400, no redirect', async () => {
    const res = await decision({ action: 'approve' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.text).toContain('请选择要登录的微博账号');
  });

  it('tampered hidden redirect_uri is refused with the error page', async () => {
    const res = await decision({ redirect_uri: 'http://evil.example/cb', uid: UID, action: 'approve' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.text).toContain('21322');
  });
});

describe('automation parameters', () => {
  it('sim_action=approve redirects at once with a code and the state', async () => {
    const { status, location } = await redirectOf(
      authorizeUrl(base, { client_id: CLIENT_ID, redirect_uri: REDIRECT, state: 'st', sim_uid: UID, sim_action: 'approve' }),
    );
    expect(status).toBe(302);
    const url = new URL(location!);
    expect(url.searchParams.get('code')).toMatch(HEX32);
    expect(url.searchParams.get('state')).toBe('st');
  });

  it('sim_action=deny redirects with access_denied', async () => {
    const { location } = await redirectOf(
      authorizeUrl(base, { client_id: CLIENT_ID, redirect_uri: REDIRECT, state: 'st', sim_uid: UID, sim_action: 'deny' }),
    );
    expect(location).toBe(`${REDIRECT}?${DENIAL}&state=st`);
  });

  it('an unknown sim_uid is an error page, not a redirect', async () => {
    const res = await get(authorizeUrl(base, { client_id: CLIENT_ID, redirect_uri: REDIRECT, sim_uid: '1', sim_action: 'approve' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('still validates the app first', async () => {
    const res = await get(authorizeUrl(base, { client_id: CLIENT_ID, redirect_uri: 'http://x/cb', sim_uid: UID, sim_action: 'approve' }));
    expect(res.status).toBe(400);
    expect(res.text).toContain('21322');
  });
});
