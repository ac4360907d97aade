/**
 * Diagnostic only (bench/layer-costs.ts): the product's own Weibo login service — the same
 * buildApp, database, provider and session code — behind thinner front ends, so that the cost of
 * each layer can be read off by difference. LAYERS=fastify mounts it on a plain Fastify route of
 * the product's server (no tRPC); LAYERS=node on a bare node:http server (no Fastify either).
 * LAYERS=stock keeps the product's server and mounts the router a second time, on tRPC's own
 * Fastify plugin (fastifyTRPCPlugin), at STOCK_TRPC_PREFIX (paths.ts). Configured by the API's
 * environment; serves /authorize (set-up), /login and /healthz. The client
 * address is found as the product finds it behind its proxy (TRUST_PROXY, X-Forwarded-For), and
 * counted by the product's own per-address bounds.
 */
import http from 'node:http';
import { fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import {
  addressKeyOf,
  appRouter,
  buildApp,
  createAuthorizeUrl,
  createFastifyContext,
  createLogger,
  loadConfig,
  loginWithWeibo,
  MAX_BATCH_CALLS,
  type RequestInfo,
} from '@weibo-login/api';
import { STOCK_TRPC_PREFIX } from './paths.ts';

const config = loadConfig();
const app = await buildApp(config, createLogger('warn'));
const browserIdOf = (cookie: string | undefined) => /(?:^|;\s*)wl_browser=([A-Za-z0-9_-]{43})/.exec(cookie ?? '')?.[1] ?? null;
const requestInfo = (cookie: string | undefined, ip: string | undefined, userAgent: string | undefined): RequestInfo => ({
  client: { ip: ip ?? null, userAgent: userAgent ?? null },
  addressKey: addressKeyOf(ip ?? null),
  browserId: browserIdOf(cookie),
  signal: undefined,
});
const login = (body: { code: string; state: string }, info: RequestInfo) => loginWithWeibo(app.deps, body, info);
const authorize = (cookie: string | undefined, ip: string | undefined) =>
  createAuthorizeUrl(app.deps, {}, browserIdOf(cookie)!, null, requestInfo(cookie, ip, undefined));

/**
 * node:http has no proxy support: the least it takes, for the one proxy the bench runs behind
 * (TRUST_PROXY=127.0.0.1, processes.ts), is the last X-Forwarded-For entry when the peer is that
 * proxy, the peer itself otherwise. (Fastify's request.ip does the general walk of proxy-addr.)
 */
const trusted = new Set(config.trustProxy === false ? [] : config.trustProxy.flatMap((item) => [item, `::ffff:${item}`]));
function clientIp(request: http.IncomingMessage): string | undefined {
  const peer = request.socket.remoteAddress;
  const forwarded = request.headers['x-forwarded-for'];
  if (peer === undefined || !trusted.has(peer) || typeof forwarded !== 'string') return peer;
  const last = forwarded.slice(forwarded.lastIndexOf(',') + 1).trim();
  return last || peer;
}

if (process.env.LAYERS === 'stock') {
  // The product's server with the router also on tRPC's own Fastify plugin, at STOCK_TRPC_PREFIX:
  // what trpc/fastify-adapter.ts saves, measured on the same server, hooks and context.
  await app.app.register(fastifyTRPCPlugin, {
    prefix: STOCK_TRPC_PREFIX,
    trpcOptions: { router: appRouter, createContext: createFastifyContext(app.deps), maxBatchSize: MAX_BATCH_CALLS },
  });
  app.app.get('/healthz', async () => ({ ok: true }));
  await app.start();
} else if (process.env.LAYERS === 'fastify') {
  app.app.post('/login', async (request) =>
    login(request.body as { code: string; state: string }, requestInfo(request.headers.cookie, request.ip, request.headers['user-agent'])),
  );
  app.app.get('/authorize', async (request) => authorize(request.headers.cookie, request.ip));
  app.app.get('/healthz', async () => ({ ok: true }));
  await app.start();
} else {
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const { cookie } = request.headers;
    let answer: unknown = { ok: true };
    if (request.url === '/login') {
      answer = await login(
        JSON.parse(Buffer.concat(chunks).toString('utf8')),
        requestInfo(cookie, clientIp(request), request.headers['user-agent']),
      );
    } else if (request.url === '/authorize') answer = await authorize(cookie, clientIp(request));
    const text = JSON.stringify(answer);
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  });
  server.listen(config.port, config.host);
}
process.on('SIGTERM', () => void app.stop().finally(() => process.exit(0)));
