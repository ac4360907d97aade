/**
 * createServer(deps) → { app, start, stop }: Fastify with tRPC at /trpc, the /api routes, and
 * the built web app (when present) served from the same origin with a history fallback.
 */
import fs from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { AppDeps } from './deps.ts';
import { registerApiRoutes } from './http-routes.ts';
import { BODY_LIMIT_BYTES, HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, MAX_BATCH_CALLS, REQUEST_TIMEOUT_MS } from './limits/bounds.ts';
import { requestIdOf } from './observability/request-id.ts';
import { securityHeaders } from './security-headers.ts';
import { createFastifyContext } from './trpc/context.ts';
import { answerRefusedBody, registerTrpc } from './trpc/fastify-adapter.ts';
import { appRouter } from './trpc/router.ts';

/** How often Node looks for requests past their timeouts (its default is 30 s, which would let a
 * slow sender keep a socket twice as long as REQUEST_TIMEOUT_MS says). */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;
/** A procedure path as long as a full batch of the longest paths; longer is a 404 before tRPC. */
const longestPath = Math.max(...Object.keys(appRouter._def.procedures).map((path) => path.length));
const MAX_PATH_PARAM_LENGTH = MAX_BATCH_CALLS * (longestPath + 1);

export type ServerConfig = Pick<Config, 'host' | 'port' | 'trustProxy' | 'corsOrigins' | 'webDist'> & {
  /** How long a request can take once received (a Weibo login's two calls at WEIBO_TIMEOUT_MS):
   * at SIGTERM, what is still connected is cut only after this and REQUEST_TIMEOUT_MS. */
  longestRequestMs?: number;
};

export interface Server {
  app: FastifyInstance;
  /** Listens and resolves to the base URL. */
  start(): Promise<string>;
  /** Readiness answers 503 from now on (the stop that follows drains what is in flight). */
  beginDraining(): void;
  /** Stops accepting, lets in-flight requests finish. */
  stop(): Promise<void>;
}

export async function createServer(deps: AppDeps, config: ServerConfig, logger: Logger): Promise<Server> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    trustProxy: config.trustProxy,
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: requestIdOf(config.trustProxy),
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    return503OnClosing: true,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    http: { headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS },
  });

  // Cookies are only set through the plugin: the one cookie read, the browser binding, is read by
  // browserIdOf (trpc/context.ts), which refuses two different values; nothing reads req.cookies,
  // so no request pays for parsing them.
  await app.register(cookie, { hook: false });
  await app.register(formbody, { bodyLimit: BODY_LIMIT_BYTES });
  await app.register(cors, { origin: config.corsOrigins.length > 0 ? config.corsOrigins : false, credentials: true });
  const headers = securityHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // Weibo avatars come from Weibo's image hosts (or the simulator in development).
        imgSrc: ["'self'", 'data:', 'https:', 'http:'],
        // Helmet's defaults allow styles and fonts from any https: origin; the app ships its own.
        styleSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    // The /weibo?code= address must not leak to other sites through the Referer header.
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    crossOriginEmbedderPolicy: false,
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers);
    // tRPC answers carry session tokens, tickets and the binding cookie: no cache may keep one.
    if (request.url.startsWith('/trpc/')) reply.header('cache-control', 'no-store');
    done();
  });

  // Set before the routes' scopes are made, which inherit it. Bodies Fastify refuses under /trpc (too large, multipart) get tRPC's error shape and a reason.
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    if (request.url.startsWith('/trpc/') && answerRefusedBody(appRouter, request, reply, error)) return;
    reply.send(error);
  });

  await registerTrpc(app, '/trpc', {
    router: appRouter,
    maxBatchSize: MAX_BATCH_CALLS,
    maxBodySize: BODY_LIMIT_BYTES,
    createContext: createFastifyContext(deps),
    onError({ error, path, req }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') req.log.error({ err: error.cause ?? error, path }, 'unexpected error');
    },
  });

  const lifecycle = { draining: false };
  registerApiRoutes(app, deps, lifecycle);
  await serveWebApp(app, config.webDist);

  return {
    app,
    async start() {
      return app.listen({ host: config.host, port: config.port });
    },
    beginDraining() {
      lifecycle.draining = true;
    },
    async stop() {
      lifecycle.draining = true;
      // Node's server.close() stops the timer that enforces requestTimeout, so a client sending
      // one byte a second would hold the close for ever: once a request could no longer be on
      // time, nor a received one still be waiting on Weibo, whatever is still connected is cut.
      const cut = setTimeout(() => app.server.closeAllConnections(), Math.max(REQUEST_TIMEOUT_MS, config.longestRequestMs ?? 0));
      try {
        await app.close();
      } finally {
        clearTimeout(cut);
      }
      // The Weibo client and the database are closed by their owner (app.ts openAppDeps).
    },
  };
}

/** The SPA's routes (/login, /weibo…) are answered with index.html; /api and /trpc never are. */
async function serveWebApp(app: FastifyInstance, webDist: string): Promise<void> {
  const index = path.join(webDist, 'index.html');
  const hasWeb = fs.existsSync(index);
  // Loaded only when there is a web app to serve: it is not needed by the API alone.
  if (hasWeb) await app.register((await import('@fastify/static')).default, { root: webDist, index: false, wildcard: false, maxAge: '1h' });
  app.setNotFoundHandler((request, reply) => {
    const url = request.url;
    if (hasWeb && request.method === 'GET' && !url.startsWith('/api/') && !url.startsWith('/trpc/') && !path.extname(url.split('?')[0]!)) {
      // The shell is never stored (it is served for /weibo?code=…, and names the current hashed
      // assets); cacheControl: false keeps the static plugin's maxAge from replacing this header.
      return reply.header('cache-control', 'no-store').sendFile('index.html', { cacheControl: false });
    }
    return reply.code(404).send({ error: 'not found' });
  });
}
