/** Shared test plumbing: a simulator on a free port, and small HTTP helpers that keep tests readable. */
import { createWeiboSimulator, DEMO_APP, type SimulatorOptions, type WeiboSimulator } from '../../src/index.ts';

export const CLIENT_ID = DEMO_APP.clientId;
export const CLIENT_SECRET = DEMO_APP.clientSecret;
export const REDIRECT = DEMO_APP.redirectUris[0]!;
export const UID = '5285840175';
export const OTHER_UID = '6072841953';
export const HEX32 = /^[0-9a-f]{32}$/;

export async function startSim(options?: SimulatorOptions): Promise<{ sim: WeiboSimulator; base: string }> {
  const sim = createWeiboSimulator(options);
  const base = await sim.listen(0, '127.0.0.1');
  return { sim, base };
}

export type Answer = { status: number; contentType: string; text: string; json: any; headers: Headers };

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json, headers: res.headers };
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return answer(await fetch(url, { headers, redirect: 'manual' }));
}

/** POST as application/x-www-form-urlencoded, the way server-side OAuth clients do. */
export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  return answer(await fetch(url, { method: 'POST', body: new URLSearchParams(form), headers, redirect: 'manual' }));
}

/** Calls the /__sim/ control API. */
export async function control(base: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  return answer(await fetch(`${base}/__sim/${path}`, init));
}

export function authorizeUrl(base: string, params: Record<string, string>): string {
  return `${base}/oauth2/authorize?${new URLSearchParams(params)}`;
}

/** The Location header of a manual-redirect fetch. */
export async function redirectOf(url: string, init: RequestInit = {}): Promise<{ status: number; location: string | null }> {
  const res = await fetch(url, { ...init, redirect: 'manual' });
  await res.arrayBuffer();
  return { status: res.status, location: res.headers.get('location') };
}

/** Approves through the automation parameters and returns the code from the redirect. */
export async function approveCode(base: string, uid = UID, extra: Record<string, string> = {}): Promise<string> {
  const params = { client_id: CLIENT_ID, redirect_uri: REDIRECT, response_type: 'code', sim_uid: uid, sim_action: 'approve', ...extra };
  const { location } = await redirectOf(authorizeUrl(base, params));
  const code = new URL(location!).searchParams.get('code');
  if (!code) throw new Error(`no code in ${location}`);
  return code;
}

export function tokenForm(code: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    ...overrides,
  };
}

export async function exchange(base: string, code: string, overrides: Record<string, string> = {}): Promise<Answer> {
  return postForm(`${base}/oauth2/access_token`, tokenForm(code, overrides));
}

/** A full login: code then token. Returns the access token string. */
export async function login(base: string, uid = UID): Promise<string> {
  const res = await exchange(base, await approveCode(base, uid));
  if (res.status !== 200) throw new Error(`login failed: ${res.text}`);
  return res.json.access_token as string;
}
