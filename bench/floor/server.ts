/**
 * The floor: the least a server can do for a bound user's Weibo login, with nothing in between.
 * A bare node:http handler that does the product's work in the product's order — check and
 * spend the state, exchange the code and fetch the profile over one keep-alive pool, read the
 * identity with its user, write only what changed, insert the audit event and the session in
 * one transaction, sign one JWT — so the product's throughput can be read as a ratio to it.
 * Configured by the same environment variables as the API.
 */
import { createHash, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import jwt from 'jsonwebtoken';
import { Pool } from 'undici';
import { openFloorDb } from './floor-db.ts';

const env = process.env as Record<string, string>;
const STATE_TTL_MS = 10 * 60 * 1000;
const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const BROWSER_COOKIE = /(?:^|;\s*)wl_browser=([A-Za-z0-9_-]{43})(?:;|$)/;

const db = openFloorDb(env.DATABASE_URL!);
const jwtKey = createSecretKey(Buffer.from(env.JWT_SECRET!, 'utf8'));
const weibo = new Pool(env.WEIBO_API_BASE!, { connections: 128, keepAliveTimeout: 30_000 });
const tokenForm = (code: string) =>
  new URLSearchParams({
    client_id: env.WEIBO_CLIENT_ID!,
    client_secret: env.WEIBO_CLIENT_SECRET!,
    grant_type: 'authorization_code',
    code,
    redirect_uri: env.WEIBO_REDIRECT_URI!,
  }).toString();

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

class Refused extends Error {}

async function weiboJson(
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Record<string, unknown>> {
  const response = await weibo.request({
    method,
    path,
    headers: { accept: 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(5000),
  });
  const json = (await response.body.json()) as Record<string, unknown>;
  if (response.statusCode !== 200 || 'error_code' in json) throw new Refused(`weibo ${path}: ${response.statusCode}`);
  return json;
}

async function signIn(
  code: string,
  state: string,
  browserId: string | undefined,
  client: { ip: string | null; user_agent: string | null },
) {
  const stateId = sha256(state);
  const row = await db.findState(stateId);
  const now = Date.now();
  const valid =
    row !== undefined &&
    browserId !== undefined &&
    timingSafeEqual(Buffer.from(row.browser_hash, 'hex'), Buffer.from(sha256(browserId), 'hex')) &&
    row.expires_at > now &&
    row.intent === 'login';
  if (!valid || !(await db.deleteState(stateId))) throw new Refused('state');

  const token = await weiboJson('POST', '/oauth2/access_token', { 'content-type': 'application/x-www-form-urlencoded' }, tokenForm(code));
  const uid = String(token.uid);
  const accessToken = String(token.access_token);
  const tokenExpiresAt = now + Number(token.expires_in ?? 86_400) * 1000;
  const bound = await db.findIdentityWithUser(uid);
  if (!bound) throw new Refused('not bound');
  if (bound.user_disabled_at !== null) throw new Refused('account disabled');
  const profile = await weiboJson('GET', `/2/users/show.json?uid=${uid}`, { authorization: `OAuth2 ${accessToken}` });
  const screenName = String(profile.screen_name);
  const avatarUrl = (profile.avatar_hd ?? profile.avatar_large ?? profile.profile_image_url ?? null) as string | null;
  const tokenStale = (bound.token_expires_at ?? 0) < now + (tokenExpiresAt - now) / 2;
  if (screenName !== bound.screen_name || avatarUrl !== bound.avatar_url || tokenStale) {
    await db.updateIdentity(bound.id, screenName, avatarUrl, accessToken, tokenExpiresAt, now);
  }

  const sessionId = randomBytes(16).toString('hex');
  const expiresAt = now + SESSION_TTL_MS;
  await db.recordSignIn(
    { id: sessionId, user_id: bound.user_id, created_at: now, expires_at: expiresAt, ...client, method: 'weibo' },
    'sign_in_weibo',
  );
  const jwtToken = jwt.sign({ iat: Math.floor(now / 1000), exp: Math.floor(expiresAt / 1000) }, jwtKey, {
    algorithm: 'HS256',
    audience: 'session',
    issuer: 'weibo-login',
    subject: String(bound.user_id),
    jwtid: sessionId,
  });
  return {
    status: 'signed_in',
    session: { token: jwtToken, expiresAt: new Date(expiresAt).toISOString() },
    user: {
      id: String(bound.user_id),
      account: bound.account,
      displayName: bound.display_name,
      avatarUrl: bound.user_avatar_url,
      hasPassword: bound.user_password_hash !== null,
    },
    redirectTo: row.redirect_to,
  };
}

/** Set-up only (outside the timed window): a state for this browser, as weibo.authorizeUrl does. */
async function authorize(browserId: string): Promise<{ state: string }> {
  const state = randomBytes(32).toString('base64url');
  await db.insertState(sha256(state), sha256(browserId), '/', Date.now() + STATE_TTL_MS);
  return { state };
}

async function readBody(request: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

const server = http.createServer(async (request, response) => {
  try {
    const browserId = BROWSER_COOKIE.exec(request.headers.cookie ?? '')?.[1];
    if (request.method === 'POST' && request.url === '/login') {
      const { code, state } = JSON.parse(await readBody(request)) as { code: string; state: string };
      const client = { ip: request.socket.remoteAddress ?? null, user_agent: request.headers['user-agent']?.slice(0, 512) ?? null };
      return send(response, 200, await signIn(code, state, browserId, client));
    }
    if (request.method === 'GET' && request.url === '/authorize') {
      const id = browserId ?? randomBytes(32).toString('base64url');
      return send(
        response,
        200,
        await authorize(id),
        browserId ? {} : { 'set-cookie': `wl_browser=${id}; Path=/; HttpOnly; SameSite=Lax` },
      );
    }
    if (request.method === 'GET' && request.url === '/healthz') {
      await db.ping();
      return send(response, 200, { ok: true });
    }
    request.resume();
    return send(response, 404, { error: 'not found' });
  } catch (error) {
    return send(response, error instanceof Refused ? 400 : 500, { error: String(error) });
  }
});
server.keepAliveTimeout = 65_000;
server.listen(Number(env.PORT), env.HOST ?? '127.0.0.1');

process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void weibo.close().finally(() => process.exit(0));
});
