/** Server-to-server OAuth2 endpoints: access_token (and its /2/ alias), get_token_info, revokeoauth2. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notifyCancel } from './cancel-callback.ts';
import { runEndpoint, sendSimResponse, type EndpointDeps } from './endpoint-runner.ts';
import { mergedParams, pathOf, tokenFromRequest } from './request-params.ts';
import type { SimResponse } from './types.ts';
import { TOKEN_TYPE, apiError, jsonResponse, oauthError, type OAuthErrorName } from './weibo-errors.ts';

export const TOKEN_PATHS = ['/oauth2/access_token', '/2/oauth2/access_token'] as const;

/** Headers of the 2011 capture (PLACK) besides the text/plain Content-Type. */
const TOKEN_HEADERS = { 'cache-control': 'no-cache', pragma: 'No-cache' };

/** AppKeys are numeric in practice and get_token_info sends them as numbers; a made-up non-numeric key stays a string. */
function numericIfPossible(value: string): number | string {
  return /^\d{1,15}$/.test(value) ? Number(value) : value;
}

function exchangeCode(deps: EndpointDeps, request: FastifyRequest): SimResponse {
  const { state } = deps;
  const path = pathOf(request);
  const p = mergedParams(request);
  const fail = (status: number, error: OAuthErrorName, description: string) => {
    const response = oauthError(status, error, path, description, TOKEN_TYPE);
    return { ...response, headers: TOKEN_HEADERS };
  };
  // Consumed before anything else is checked: a code is single use even if this attempt fails (pitfall P5).
  const grant = p.code ? state.consumeCode(p.code) : undefined;

  if (!p.client_id || !p.client_secret) return fail(400, 'invalid_request', 'miss client id or secret');
  const app = state.apps.get(p.client_id);
  // "unknow" is the server's spelling, captured for a made-up client_id; the wording for a wrong secret is not known.
  if (!app) return fail(401, 'invalid_client', `unknow client id:${p.client_id}`);
  if (app.clientSecret !== p.client_secret) return fail(401, 'invalid_client', 'invalid client_id or client_secret');
  if (!p.grant_type) return fail(400, 'invalid_request', 'miss grant_type');
  if (p.grant_type !== 'authorization_code') return fail(400, 'unsupported_grant_type', `unsupported grant type:${p.grant_type}`);
  if (!p.redirect_uri) return fail(400, 'invalid_request', 'miss redirect uri');
  // A missing code is reported like an unknown one, as the real server did for a client that ignored a denial (SOC-58).
  if (!grant || grant.clientId !== app.clientId) return fail(400, 'invalid_grant', `invalid authorization code:${p.code ?? ''}`);
  if (grant.redirectUri !== p.redirect_uri) return fail(400, 'redirect_uri_mismatch', 'redirect_uri_mismatch');

  const token = state.issueToken(grant.uid, app.clientId, grant.scope);
  const seconds = Math.round((token.expiresAt - token.createdAt) / 1000);
  // Key order and types as observed: remind_in a string, expires_in a number, uid a string (pitfall P2).
  const body: Record<string, string | number> = {
    access_token: token.token,
    remind_in: String(seconds),
    expires_in: seconds,
    uid: token.uid,
  };
  if (token.scope) body.scope = token.scope;
  body.isRealName = 'true';
  return { ...jsonResponse(200, body, TOKEN_TYPE), headers: TOKEN_HEADERS };
}

function tokenInfo(deps: EndpointDeps, request: FastifyRequest): SimResponse {
  const path = pathOf(request);
  const token = tokenFromRequest(request);
  if (!token) return oauthError(400, 'invalid_request', path, 'miss access_token');
  const found = deps.state.lookupToken(token);
  if (found.kind === 'invalid' || found.kind === 'revoked')
    return oauthError(400, 'invalid_access_token', path, `invalid_access_token:${token}`);
  if (found.kind === 'expired') return oauthError(400, 'expired_token', path, `expired_token:${token}`);
  const { record } = found;
  return jsonResponse(200, {
    uid: Number(record.uid),
    appkey: numericIfPossible(record.clientId),
    scope: record.scope,
    create_at: Math.floor(record.createdAt / 1000),
    expire_in: Math.floor((record.expiresAt - deps.state.now()) / 1000),
  });
}

function revoke(deps: EndpointDeps, request: FastifyRequest): SimResponse {
  const path = pathOf(request);
  const token = tokenFromRequest(request);
  if (!token) return apiError(403, 21301, path);
  const found = deps.state.lookupToken(token);
  if (found.kind === 'invalid' || found.kind === 'revoked')
    return oauthError(400, 'invalid_access_token', path, `invalid_access_token:${token}`);
  if (found.kind === 'expired') return oauthError(400, 'expired_token', path, `expired_token:${token}`);
  found.record.revoked = true;
  const app = deps.state.apps.get(found.record.clientId);
  if (app) notifyCancel(deps.state, deps.lifecycle, app, found.record.uid);
  // `result` is the string "true", not a boolean (reference §5).
  return jsonResponse(200, { result: 'true' });
}

export function registerTokenRoutes(app: FastifyInstance, deps: EndpointDeps): void {
  for (const path of TOKEN_PATHS) {
    app.post(path, (request, reply) =>
      runEndpoint(
        deps,
        {
          counter: 'access_token',
          faultEndpoint: 'access_token',
          handler: (req) => exchangeCode(deps, req),
          // A server that did the work and then failed has still used the code up, so clients must never retry.
          sideEffectsOnFault: (req) => {
            const code = mergedParams(req).code;
            if (code) deps.state.consumeCode(code);
          },
        },
        request,
        reply,
      ),
    );
    // The wiki says POST; GET is answered with 10021 like other method mismatches, keeping the endpoint's text/plain quirk.
    app.get(path, async (request, reply) => sendSimResponse(reply, apiError(400, 10021, pathOf(request), TOKEN_TYPE)));
  }

  app.post('/oauth2/get_token_info', (request, reply) =>
    runEndpoint(
      deps,
      { counter: 'get_token_info', faultEndpoint: 'get_token_info', handler: (req) => tokenInfo(deps, req) },
      request,
      reply,
    ),
  );

  const revokeHandler = (request: FastifyRequest, reply: Parameters<typeof sendSimResponse>[0]) =>
    runEndpoint(deps, { counter: 'revokeoauth2', faultEndpoint: 'revokeoauth2', handler: (req) => revoke(deps, req) }, request, reply);
  app.get('/oauth2/revokeoauth2', revokeHandler);
  app.post('/oauth2/revokeoauth2', revokeHandler);
}
