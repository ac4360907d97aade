/** The /2/ REST API used at login (users/show, account/get_uid) and the simulator-hosted avatars. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { avatarSvg } from './avatar-svg.ts';
import { runEndpoint, type EndpointDeps } from './endpoint-runner.ts';
import { baseUrlOf, firstString, pathOf, tokenFromRequest } from './request-params.ts';
import type { SimResponse, TokenRecord } from './types.ts';
import { userJson } from './user-profile.ts';
import { apiError, apiTokenError, jsonResponse } from './weibo-errors.ts';

export const USERS_SHOW_PATH = '/2/users/show.json';
export const GET_UID_PATH = '/2/account/get_uid.json';

/**
 * The checks every /2/ call makes, in the order a client would hit them: the token, the app's quotas (only for
 * APIs that count: account/get_uid has no rate limit, reference §4), then the unaudited app's restriction.
 */
function authenticate(deps: EndpointDeps, request: FastifyRequest, rateLimited: boolean): TokenRecord | SimResponse {
  const path = pathOf(request);
  const token = tokenFromRequest(request);
  if (!token) return apiError(403, 21301, path);
  const found = deps.state.lookupToken(token);
  if (found.kind === 'invalid') return apiTokenError(401, 'invalid_access_token', path);
  const app = deps.state.apps.get(found.record.clientId);
  // In an unaudited app a revoked token was seen to answer 21321 rather than a token error (reference §5, QQX).
  if (found.kind === 'revoked')
    return app?.audited === false ? apiError(403, 21321, path) : apiTokenError(401, 'invalid_access_token', path);
  if (found.kind === 'expired') return apiTokenError(401, 'expired_token', path);
  if (rateLimited && app?.rateLimits) {
    const refusal = deps.state.rateLimiter.take(app.rateLimits, {
      clientId: app.clientId,
      ip: request.ip,
      uid: found.record.uid,
      api: path,
    });
    if (refusal) return apiError(403, refusal, path);
  }
  // Test-level apps serve only their test accounts (pitfall P7); the login itself succeeded, only the API refuses.
  if (app && !app.audited && !app.testUids.includes(found.record.uid)) return apiError(403, 21321, path);
  return found.record;
}

function isResponse(value: TokenRecord | SimResponse): value is SimResponse {
  return 'status' in value;
}

function usersShow(deps: EndpointDeps, request: FastifyRequest, fallbackBase: () => string): SimResponse {
  const auth = authenticate(deps, request, true);
  if (isResponse(auth)) return auth;
  const path = pathOf(request);
  const query = (request.query ?? {}) as Record<string, unknown>;
  const uid = firstString(query.uid);
  const screenName = firstString(query.screen_name);
  if (uid === undefined && screenName === undefined) return apiError(400, 10016, path);
  // Exactly one of the two is allowed, and uid must be an int64.
  if ((uid !== undefined && screenName !== undefined) || (uid !== undefined && !/^\d{1,19}$/.test(uid))) {
    return apiError(400, 10017, path);
  }
  const user = uid !== undefined ? deps.state.users.get(uid) : [...deps.state.users.values()].find((u) => u.screenName === screenName);
  if (!user) return apiError(400, 20003, path);
  return jsonResponse(200, userJson(user, baseUrlOf(request, fallbackBase()), user.uid === auth.uid));
}

function getUid(deps: EndpointDeps, request: FastifyRequest): SimResponse {
  const auth = authenticate(deps, request, false);
  if (isResponse(auth)) return auth;
  // The doc example shows a string, observed clients pass it through; a number matches users/show's `id` (reference §4).
  return jsonResponse(200, { uid: Number(auth.uid) });
}

export function registerApiRoutes(app: FastifyInstance, deps: EndpointDeps, fallbackBase: () => string): void {
  app.get(USERS_SHOW_PATH, (request, reply) =>
    runEndpoint(
      deps,
      { counter: 'users_show', faultEndpoint: 'users_show', handler: (req) => usersShow(deps, req, fallbackBase) },
      request,
      reply,
    ),
  );
  app.get(GET_UID_PATH, (request, reply) =>
    runEndpoint(deps, { counter: 'get_uid', faultEndpoint: 'get_uid', handler: (req) => getUid(deps, req) }, request, reply),
  );

  app.get<{ Params: { file: string } }>('/avatars/:file', async (request, reply) => {
    const match = /^(\d{1,19})\.svg$/.exec(request.params.file);
    const user = match ? deps.state.users.get(match[1]!) : undefined;
    if (!user) return reply.code(404).header('content-type', 'text/plain;charset=UTF-8').send('avatar not found');
    // no-cache: a PATCHed screen name changes the initial, and tests expect to see that.
    return reply
      .header('content-type', 'image/svg+xml')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(avatarSvg(user.uid, user.screenName));
  });
}
