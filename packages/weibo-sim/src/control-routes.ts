/** The /__sim/ control API: lets tests and benchmarks shape state and inject faults. JSON in, JSON out. */
import type { FastifyInstance } from 'fastify';
import { notifyCancel } from './cancel-callback.ts';
import * as input from './control-input.ts';
import { BadInput } from './control-input.ts';
import type { EndpointDeps } from './endpoint-runner.ts';
import { isWeiboErrorCode, WEIBO_ERROR_CODES } from './error-fault.ts';
import { ERROR_FAULT_MODE, FAULT_ENDPOINTS, FAULT_MODES, type FaultSpec } from './faults.ts';
import { randomUid } from './random-ids.ts';
import type { SimApp, SimUser } from './types.ts';

const MAX_MINT = 100_000;

function faultFromBody(body: input.Body): FaultSpec {
  const endpoint = input.oneOf(body, 'endpoint', [...FAULT_ENDPOINTS, '*'] as const);
  const mode = input.oneOf(body, 'mode', [...FAULT_MODES, ERROR_FAULT_MODE] as const);
  const times = input.optInteger(body, 'times', 1, Number.MAX_SAFE_INTEGER);
  const errorCode = input.optInteger(body, 'errorCode', 0, 99_999);
  if (mode !== 'error') {
    if (errorCode !== undefined) throw new BadInput("errorCode goes with mode 'error' only");
    return { endpoint, mode, delayMs: input.optInteger(body, 'delayMs', 0, 600_000), times };
  }
  if (errorCode === undefined || !isWeiboErrorCode(errorCode)) {
    throw new BadInput(`mode 'error' needs an errorCode, one of ${WEIBO_ERROR_CODES.join(', ')}`);
  }
  return { endpoint, mode, errorCode, times };
}

function appFromBody(body: input.Body, existing: SimApp | undefined): SimApp {
  const redirectUris = input.optStringArray(body, 'redirectUris') ?? existing?.redirectUris ?? [];
  const added = input.optStringArray(body, 'addRedirectUris') ?? [];
  const cancel = input.optNullableString(body, 'cancelCallbackUrl');
  const app: SimApp = {
    clientId: existing?.clientId ?? input.reqString(body, 'clientId'),
    clientSecret: input.optString(body, 'clientSecret') ?? existing?.clientSecret ?? input.reqString(body, 'clientSecret'),
    name: input.optString(body, 'name') ?? existing?.name ?? '测试应用',
    redirectUris: [...new Set([...redirectUris, ...added])],
    // New apps default to audited, so registering one does not silently trigger 21321.
    audited: input.optBoolean(body, 'audited') ?? existing?.audited ?? true,
    testUids: input.optUidArray(body, 'testUids') ?? existing?.testUids ?? [],
    cancelCallbackUrl: cancel === undefined ? (existing?.cancelCallbackUrl ?? null) : cancel,
  };
  const ttl = input.optInteger(body, 'tokenTtlSeconds', 1, 157_679_999) ?? existing?.tokenTtlSeconds;
  if (ttl !== undefined) app.tokenTtlSeconds = ttl;
  const limits = input.optRateLimits(body, 'rateLimits');
  const rateLimits = limits === undefined ? existing?.rateLimits : (limits ?? undefined);
  if (rateLimits) app.rateLimits = rateLimits;
  if (app.redirectUris.length === 0) throw new BadInput('redirectUris must not be empty');
  return app;
}

export function registerControlRoutes(app: FastifyInstance, deps: EndpointDeps): void {
  const { state, faults, lifecycle } = deps;

  app.post('/__sim/codes', async (request) => {
    const body = input.asBody(request.body);
    const uid = input.optUid(body, 'uid');
    if (!uid || !state.users.has(uid)) throw new BadInput('uid must name an existing user');
    const clientId = input.optString(body, 'clientId');
    const simApp = clientId ? state.apps.get(clientId) : state.firstApp();
    if (!simApp) throw new BadInput('unknown clientId');
    const redirectUri = input.optString(body, 'redirectUri') ?? simApp.redirectUris[0]!;
    // Same rule as the consent page: a code is only ever issued for a registered redirect_uri.
    if (!simApp.redirectUris.includes(redirectUri)) throw new BadInput('redirectUri is not registered for this app (PATCH the app first)');
    const count = input.optInteger(body, 'count', 1, MAX_MINT) ?? 1;
    const scope = input.optString(body, 'scope') || null;
    const display = input.optString(body, 'display') ?? null;
    return { codes: state.mintCodes({ clientId: simApp.clientId, redirectUri, uid, scope, display }, count, 'control') };
  });

  app.get('/__sim/faults', async () => ({ faults: faults.list() }));
  app.post('/__sim/faults', async (request) => ({ id: faults.add(faultFromBody(input.asBody(request.body))).id }));
  app.delete('/__sim/faults', async () => {
    faults.clear();
    return { ok: true };
  });
  app.delete<{ Params: { id: string } }>('/__sim/faults/:id', async (request, reply) => {
    if (!faults.remove(request.params.id)) return reply.code(404).send({ error: 'no such fault' });
    return { ok: true };
  });

  app.get('/__sim/users', async () => ({ users: [...state.users.values()] }));
  app.post('/__sim/users', async (request) => {
    const body = input.asBody(request.body);
    let uid = input.optUid(body, 'uid');
    if (!uid) {
      do uid = randomUid();
      while (state.users.has(uid));
    }
    const user: SimUser = { uid, screenName: input.reqString(body, 'screenName'), createdAt: 'Thu Jan 04 10:00:00 +0800 2024' };
    const avatar = input.optString(body, 'avatar');
    if (avatar !== undefined && avatar !== 'none') throw new BadInput("avatar may only be 'none'");
    if (avatar === 'none') user.avatarUrl = null;
    const gender = input.optString(body, 'gender');
    if (gender === 'm' || gender === 'f' || gender === 'n') user.gender = gender;
    // Registering an existing uid replaces that account.
    state.users.set(uid, user);
    return user;
  });
  app.patch<{ Params: { uid: string } }>('/__sim/users/:uid', async (request, reply) => {
    const user = state.users.get(request.params.uid);
    if (!user) return reply.code(404).send({ error: 'no such user' });
    const body = input.asBody(request.body);
    const screenName = input.optString(body, 'screenName');
    if (screenName !== undefined) user.screenName = screenName;
    const avatarUrl = input.optNullableString(body, 'avatarUrl');
    if (avatarUrl !== undefined) user.avatarUrl = avatarUrl;
    return user;
  });

  app.get('/__sim/apps', async () => ({ apps: [...state.apps.values()] }));
  app.post('/__sim/apps', async (request) => {
    const simApp = appFromBody(input.asBody(request.body), undefined);
    state.apps.set(simApp.clientId, simApp);
    return simApp;
  });
  app.patch<{ Params: { clientId: string } }>('/__sim/apps/:clientId', async (request, reply) => {
    const existing = state.apps.get(request.params.clientId);
    if (!existing) return reply.code(404).send({ error: 'no such app' });
    const simApp = appFromBody(input.asBody(request.body), existing);
    state.apps.set(simApp.clientId, simApp);
    return simApp;
  });

  app.post('/__sim/tokens/expire', async (request) => {
    const body = input.asBody(request.body);
    const uid = input.optUid(body, 'uid');
    if (!uid) throw new BadInput('uid is required');
    const tokens = state.tokensOfUser(uid, input.optString(body, 'clientId'));
    const past = state.now() - 1000;
    for (const token of tokens) token.expiresAt = Math.min(token.expiresAt, past);
    return { count: tokens.length };
  });
  app.post('/__sim/tokens/revoke', async (request) => {
    const body = input.asBody(request.body);
    const uid = input.optUid(body, 'uid');
    if (!uid) throw new BadInput('uid is required');
    const tokens = state.tokensOfUser(uid, input.optString(body, 'clientId'));
    const appIds = new Set<string>();
    for (const token of tokens) {
      token.revoked = true;
      appIds.add(token.clientId);
    }
    // As if the user cancelled at weibo.com: one notice per app they had authorized.
    for (const clientId of appIds) {
      const simApp = state.apps.get(clientId);
      if (simApp) notifyCancel(state, lifecycle, simApp, uid);
    }
    return { count: tokens.length };
  });

  app.get<{ Querystring: { clientId?: string; limit?: string } }>('/__sim/authorize-log', async (request) => {
    const limit = request.query.limit === undefined ? undefined : Number(request.query.limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) throw new BadInput('limit must be a positive integer');
    return { records: state.authorizeLog.list(request.query.clientId, limit) };
  });

  // The quotas' current window ends now: for clients of a simulator whose clock they cannot move.
  app.post('/__sim/rate-limits/new-window', async () => {
    state.rateLimiter.newWindow();
    return { ok: true };
  });

  app.get('/__sim/stats', async () => ({
    requests: { ...state.requests },
    authorize: { byPage: { ...state.authorizeLog.byPage }, byDisplay: { ...state.authorizeLog.byDisplay } },
    codes: {
      issued: state.codesIssued,
      live: state.codes.size,
      byDisplay: { ...state.codesByDisplay },
      bySource: { ...state.codesBySource },
    },
    tokens: { issued: state.tokensIssued, live: state.tokens.size },
    faultsApplied: state.faultsApplied,
    rateLimited: { ...state.rateLimiter.refused },
    cancelCallbacks: { ...state.cancelCallbacks },
  }));
  app.post('/__sim/reset', async () => {
    state.reset();
    faults.clear();
    return { ok: true };
  });
}
