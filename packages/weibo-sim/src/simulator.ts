/** Assembles the Fastify app from the route modules and gives it a listen/close lifecycle. */
import type { AddressInfo } from 'node:net';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { GET_UID_PATH, USERS_SHOW_PATH, registerApiRoutes } from './api-routes.ts';
import { registerAuthorizeRoutes } from './authorize-routes.ts';
import { createSimulatorControl, type SimulatorControl } from './control-client.ts';
import { registerControlRoutes } from './control-routes.ts';
import { DEMO_APP, DEMO_USERS } from './demo-data.ts';
import { Lifecycle, sendSimResponse, type EndpointDeps } from './endpoint-runner.ts';
import { FaultRegistry } from './faults.ts';
import { AUTHORIZE_PATH, DECISION_PATH, MOBILE_AUTHORIZE_PATH, MOBILE_DECISION_PATH } from './paths.ts';
import { pathOf } from './request-params.ts';
import { SimState } from './state.ts';
import { TOKEN_PATHS, registerTokenRoutes } from './token-routes.ts';
import type { SimulatorOptions } from './types.ts';
import { JSON_TYPE, TOKEN_TYPE, apiError, jsonResponse } from './weibo-errors.ts';

export type WeiboSimulator = {
  /** Starts listening (port 0 = any free port) and resolves to the base URL, e.g. http://127.0.0.1:4000. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops the server, destroying sockets of requests that are still open (e.g. `hang` faults). */
  close(): Promise<void>;
  /** The base URL once listening, '' before. */
  readonly url: string;
  /** A client of its /__sim/ control API, once listening. */
  readonly control: SimulatorControl;
  app: FastifyInstance;
};

const SWEEP_INTERVAL_MS = 30_000;

/** Paths that exist for some method, so other methods get 10021 rather than 10020. */
const KNOWN_PATHS = new Set<string>([
  ...TOKEN_PATHS,
  USERS_SHOW_PATH,
  GET_UID_PATH,
  '/oauth2/get_token_info',
  '/oauth2/revokeoauth2',
  AUTHORIZE_PATH,
  DECISION_PATH,
  MOBILE_AUTHORIZE_PATH,
  MOBILE_DECISION_PATH,
]);

function isTokenPath(path: string): boolean {
  return (TOKEN_PATHS as readonly string[]).includes(path);
}

export function createWeiboSimulator(options: SimulatorOptions = {}): WeiboSimulator {
  const state = new SimState(
    options.apps ?? [DEMO_APP],
    options.users ?? DEMO_USERS,
    options.codeTtlMs ?? 10 * 60 * 1000,
    options.tokenTtlSeconds ?? 86_400,
    { now: options.now, rateLimitWindowMs: options.rateLimitWindowMs },
  );
  const deps: EndpointDeps = { state, faults: new FaultRegistry(), lifecycle: new Lifecycle() };
  let url = '';

  // forceCloseConnections: close() must not wait for keep-alive or deliberately hung connections.
  const app = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });
  app.register(formbody);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const path = pathOf(request);
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error(error);
    if (path.startsWith('/__sim/')) return reply.code(status).send({ error: error.message });
    // Body parse problems and the like, in Weibo's API error shape (10008: parameter error).
    const body =
      status >= 500 ? apiError(500, 10001, path).body : JSON.stringify({ error: error.message, error_code: 10008, request: path });
    return sendSimResponse(reply, { status, contentType: isTokenPath(path) ? TOKEN_TYPE : JSON_TYPE, body });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request);
    if (KNOWN_PATHS.has(path)) return sendSimResponse(reply, apiError(400, 10021, path, isTokenPath(path) ? TOKEN_TYPE : JSON_TYPE));
    if (path.startsWith('/2/') || path.startsWith('/oauth2/')) return sendSimResponse(reply, apiError(400, 10020, path));
    return sendSimResponse(reply, jsonResponse(404, { error: 'not found', request: path }));
  });

  registerAuthorizeRoutes(app, deps);
  registerTokenRoutes(app, deps);
  registerApiRoutes(app, deps, () => url || 'http://127.0.0.1');
  registerControlRoutes(app, deps);

  const sweeper = setInterval(() => state.sweep(), SWEEP_INTERVAL_MS);
  sweeper.unref();
  let closing: Promise<void> | undefined;
  let control: SimulatorControl | undefined;

  return {
    app,
    get url() {
      return url;
    },
    get control() {
      if (!url) throw new Error('the simulator is not listening yet');
      return (control ??= createSimulatorControl(url));
    },
    async listen(port = 0, host = '127.0.0.1') {
      await app.listen({ port, host });
      const address = app.server.address() as AddressInfo;
      // A wildcard bind is reachable on loopback; IPv6 literals need brackets in a URL.
      const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
      url = `http://${shown}:${address.port}`;
      return url;
    },
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        deps.lifecycle.shutdown();
        await app.close();
      })();
      return closing;
    },
  };
}
