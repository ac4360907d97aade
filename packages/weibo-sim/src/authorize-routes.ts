/**
 * The browser-facing step: GET|POST /oauth2/authorize shows the consent page (or Weibo's error page),
 * POST /oauth2/authorize/decision turns the person's choice into the redirect back to the app.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderConsentPage, renderErrorPage, type AuthorizeErrorCode, type AuthorizeParams } from './consent-page.ts';
import type { EndpointDeps } from './endpoint-runner.ts';
import { PAGE_CSP } from './html.ts';
import { appendQuery, mergedParams, readCookie } from './request-params.ts';
import type { SimApp, SimUser } from './types.ts';

/** Remembers who "is signed in to Weibo". Named distinctively: cookies are shared across ports of one host. */
export const SESSION_COOKIE = 'weibo_sim_session';

/** The denial query, byte for byte as captured from the real server (SOC-58). */
const DENIAL_QUERY =
  'error_uri=%2Foauth2%2Fauthorize&error=access_denied&error_description=user%20denied%20your%20request.&error_code=21330';

type Validated = { app: SimApp; params: AuthorizeParams } | { errorCode: AuthorizeErrorCode };

/** Problems with the app itself are shown on Weibo's page and never redirected (reference §1, pitfall P3). */
function validate(deps: EndpointDeps, raw: Record<string, string | undefined>): Validated {
  const app = raw.client_id ? deps.state.apps.get(raw.client_id) : undefined;
  if (!app) return { errorCode: 21324 };
  // Exact string match: the real rule is unconfirmed, and exact is what a client must be able to satisfy.
  if (!raw.redirect_uri || !app.redirectUris.includes(raw.redirect_uri)) return { errorCode: 21322 };
  if (raw.response_type !== undefined && raw.response_type !== 'code') return { errorCode: 21329 };
  const params: AuthorizeParams = { client_id: app.clientId, redirect_uri: raw.redirect_uri };
  for (const key of ['state', 'scope', 'display', 'forcelogin'] as const) {
    const value = raw[key];
    if (value !== undefined) params[key] = value;
  }
  return { app, params };
}

function sendHtml(reply: FastifyReply, status: number, html: string) {
  return reply
    .code(status)
    .header('content-type', 'text/html;charset=UTF-8')
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .send(html);
}

function rememberUser(reply: FastifyReply, uid: string): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(uid)}; Path=/; HttpOnly; SameSite=Lax`);
}

function stateParam(params: AuthorizeParams): string[] {
  // An absent or empty state is not echoed.
  return params.state ? [`state=${encodeURIComponent(params.state)}`] : [];
}

function redirectApproved(deps: EndpointDeps, reply: FastifyReply, app: SimApp, params: AuthorizeParams, user: SimUser) {
  const [code] = deps.state.mintCodes({
    clientId: app.clientId,
    redirectUri: params.redirect_uri,
    uid: user.uid,
    scope: params.scope || null,
    display: params.display ?? null,
  });
  rememberUser(reply, user.uid);
  return reply
    .code(302)
    .header('location', appendQuery(params.redirect_uri, [`code=${code}`, ...stateParam(params)]))
    .send();
}

function redirectDenied(reply: FastifyReply, params: AuthorizeParams) {
  return reply
    .code(302)
    .header('location', appendQuery(params.redirect_uri, [DENIAL_QUERY, ...stateParam(params)]))
    .send();
}

function rememberedUid(deps: EndpointDeps, request: FastifyRequest): string | undefined {
  const uid = readCookie(request, SESSION_COOKIE);
  return uid && deps.state.users.has(uid) ? uid : undefined;
}

export function registerAuthorizeRoutes(app: FastifyInstance, deps: EndpointDeps): void {
  const showAuthorize = async (request: FastifyRequest, reply: FastifyReply) => {
    deps.state.requests.authorize++;
    const raw = mergedParams(request);
    const checked = validate(deps, raw);
    if ('errorCode' in checked) return sendHtml(reply, 400, renderErrorPage(checked.errorCode));
    const { app: simApp, params } = checked;

    // Test automation: skip the page and answer as if the person had clicked.
    const action = raw.sim_action;
    if (action !== undefined) {
      if (action === 'deny') return redirectDenied(reply, params);
      const user = raw.sim_uid ? deps.state.users.get(raw.sim_uid) : undefined;
      if (action === 'approve' && user) return redirectApproved(deps, reply, simApp, params, user);
      const detail = action === 'approve' ? `sim_uid 未知：${raw.sim_uid ?? ''}` : `sim_action 只能是 approve 或 deny`;
      return sendHtml(reply, 400, renderErrorPage(21323, detail));
    }

    const forceLogin = raw.forcelogin === 'true';
    const hinted = raw.sim_uid && deps.state.users.has(raw.sim_uid) ? raw.sim_uid : undefined;
    const selectedUid = forceLogin ? undefined : (hinted ?? rememberedUid(deps, request));
    const users = [...deps.state.users.values()];
    return sendHtml(reply, 200, renderConsentPage({ app: simApp, users, params, selectedUid, forceLogin }));
  };
  app.get('/oauth2/authorize', showAuthorize);
  app.post('/oauth2/authorize', showAuthorize);

  app.post('/oauth2/authorize/decision', async (request, reply) => {
    deps.state.requests.decision++;
    const raw = mergedParams(request);
    // Re-validated: the hidden fields come back from the browser and are not to be trusted.
    const checked = validate(deps, raw);
    if ('errorCode' in checked) return sendHtml(reply, 400, renderErrorPage(checked.errorCode));
    const { app: simApp, params } = checked;
    const user = raw.uid ? deps.state.users.get(raw.uid) : undefined;
    if (raw.action === 'deny') {
      if (user) rememberUser(reply, user.uid);
      return redirectDenied(reply, params);
    }
    if (raw.action === 'approve' && user) return redirectApproved(deps, reply, simApp, params, user);
    const users = [...deps.state.users.values()];
    const notice = raw.action === 'approve' ? '请选择要登录的微博账号。' : '请点击“授权”或“取消”。';
    const forceLogin = raw.forcelogin === 'true';
    return sendHtml(reply, 400, renderConsentPage({ app: simApp, users, params, selectedUid: undefined, forceLogin, notice }));
  });
}
