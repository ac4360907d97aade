/**
 * The browser-facing step, on two pages: api.weibo.com's (GET|POST /oauth2/authorize) and the phone page of
 * open.weibo.cn (GET|POST /open.weibo.cn/oauth2/authorize, see paths.ts). Each shows its consent page (or Weibo's
 * error page), and its form posts to its own decision route, which turns the choice into the redirect back to the
 * app. Validation, choices, the signed-in cookie and the redirects are the same on both; only the layout differs.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthorizePage, AuthorizeRecord } from './authorize-log.ts';
import {
  renderConsentPage,
  renderErrorPage,
  type AuthorizeErrorCode,
  type AuthorizeParams,
  type ConsentPageInput,
} from './consent-page.ts';
import type { EndpointDeps } from './endpoint-runner.ts';
import { PAGE_CSP } from './html.ts';
import { renderMobileConsentPage, renderMobileErrorPage } from './mobile-page.ts';
import { AUTHORIZE_PATH, DECISION_PATH, MOBILE_AUTHORIZE_PATH, MOBILE_DECISION_PATH } from './paths.ts';
import { appendQuery, mergedParams, readCookie } from './request-params.ts';
import type { SimApp, SimUser } from './types.ts';

/** Remembers who "is signed in to Weibo". Named distinctively: cookies are shared across ports of one host. */
export const SESSION_COOKIE = 'weibo_sim_session';

/** The denial query, byte for byte as captured from the real server (SOC-58). */
const DENIAL_QUERY =
  'error_uri=%2Foauth2%2Fauthorize&error=access_denied&error_description=user%20denied%20your%20request.&error_code=21330';

type PageVariant = {
  page: AuthorizePage;
  authorizePath: string;
  decisionPath: string;
  consent: (input: ConsentPageInput) => string;
  error: (code: AuthorizeErrorCode, detail?: string) => string;
};

const VARIANTS: readonly PageVariant[] = [
  { page: 'desktop', authorizePath: AUTHORIZE_PATH, decisionPath: DECISION_PATH, consent: renderConsentPage, error: renderErrorPage },
  {
    page: 'mobile',
    authorizePath: MOBILE_AUTHORIZE_PATH,
    decisionPath: MOBILE_DECISION_PATH,
    consent: renderMobileConsentPage,
    error: renderMobileErrorPage,
  },
];

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

function redirectApproved(
  deps: EndpointDeps,
  reply: FastifyReply,
  page: AuthorizePage,
  approval: { app: SimApp; params: AuthorizeParams; user: SimUser },
) {
  const { app, params, user } = approval;
  const grant = {
    clientId: app.clientId,
    redirectUri: params.redirect_uri,
    uid: user.uid,
    scope: params.scope || null,
    display: params.display ?? null,
  };
  const [code] = deps.state.mintCodes(grant, 1, page);
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

/** Records what arrived, before validation, so tests see even the requests that got the error page. */
function logAuthorize(deps: EndpointDeps, request: FastifyRequest, page: AuthorizePage, raw: Record<string, string | undefined>) {
  const record: AuthorizeRecord = {
    page,
    method: request.method,
    clientId: raw.client_id ?? null,
    redirectUri: raw.redirect_uri ?? null,
    responseType: raw.response_type ?? null,
    display: raw.display ?? null,
    forcelogin: raw.forcelogin ?? null,
    scope: raw.scope ?? null,
    state: raw.state ?? null,
    outcome: 'consent',
    errorCode: null,
    at: deps.state.now(),
  };
  deps.state.authorizeLog.add(record);
  return record;
}

function registerPage(app: FastifyInstance, deps: EndpointDeps, variant: PageVariant): void {
  const { page } = variant;
  const showAuthorize = async (request: FastifyRequest, reply: FastifyReply) => {
    deps.state.requests.authorize++;
    const raw = mergedParams(request);
    const record = logAuthorize(deps, request, page, raw);
    const checked = validate(deps, raw);
    const fail = (code: AuthorizeErrorCode, detail?: string) => {
      record.outcome = 'error';
      record.errorCode = code;
      return sendHtml(reply, 400, variant.error(code, detail));
    };
    if ('errorCode' in checked) return fail(checked.errorCode);
    const { app: simApp, params } = checked;

    // Test automation: skip the page and answer as if the person had clicked.
    const action = raw.sim_action;
    if (action !== undefined) {
      if (action === 'deny') {
        record.outcome = 'denied';
        return redirectDenied(reply, params);
      }
      const user = raw.sim_uid ? deps.state.users.get(raw.sim_uid) : undefined;
      if (action === 'approve' && user) {
        record.outcome = 'approved';
        return redirectApproved(deps, reply, page, { app: simApp, params, user });
      }
      return fail(21323, action === 'approve' ? `sim_uid 未知：${raw.sim_uid ?? ''}` : `sim_action 只能是 approve 或 deny`);
    }

    const forceLogin = raw.forcelogin === 'true';
    const hinted = raw.sim_uid && deps.state.users.has(raw.sim_uid) ? raw.sim_uid : undefined;
    const selectedUid = forceLogin ? undefined : (hinted ?? rememberedUid(deps, request));
    const users = [...deps.state.users.values()];
    return sendHtml(reply, 200, variant.consent({ app: simApp, users, params, selectedUid, forceLogin }));
  };
  app.get(variant.authorizePath, showAuthorize);
  app.post(variant.authorizePath, showAuthorize);

  app.post(variant.decisionPath, async (request, reply) => {
    deps.state.requests.decision++;
    const raw = mergedParams(request);
    // Re-validated: the hidden fields come back from the browser and are not to be trusted.
    const checked = validate(deps, raw);
    if ('errorCode' in checked) return sendHtml(reply, 400, variant.error(checked.errorCode));
    const { app: simApp, params } = checked;
    const user = raw.uid ? deps.state.users.get(raw.uid) : undefined;
    if (raw.action === 'deny') {
      if (user) rememberUser(reply, user.uid);
      return redirectDenied(reply, params);
    }
    if (raw.action === 'approve' && user) return redirectApproved(deps, reply, page, { app: simApp, params, user });
    const users = [...deps.state.users.values()];
    const notice = raw.action === 'approve' ? '请选择要登录的微博账号。' : '请点击“授权”或“取消”。';
    const forceLogin = raw.forcelogin === 'true';
    return sendHtml(reply, 400, variant.consent({ app: simApp, users, params, selectedUid: undefined, forceLogin, notice }));
  });
}

export function registerAuthorizeRoutes(app: FastifyInstance, deps: EndpointDeps): void {
  for (const variant of VARIANTS) registerPage(app, deps, variant);
}
