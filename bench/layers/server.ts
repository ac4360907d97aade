/**
 * Diagnostic only (bench/layer-costs.ts): the product's own Weibo login service — the same
 * buildApp, database, provider and session code — behind thinner front ends, so that the cost of
 * each layer can be read off by difference. LAYERS=fastify mounts it on a plain Fastify route of
 * the product's server (no tRPC); LAYERS=node on a bare node:http server (no Fastify either).
 * Configured by the API's environment; serves /authorize (set-up), /login and /healthz.
 */
import http from 'node:http';
import { buildApp } from '../../apps/api/src/app.ts';
import { loadConfig } from '../../apps/api/src/config.ts';
import type { RequestInfo } from '../../apps/api/src/deps.ts';
import { createLogger } from '../../apps/api/src/logger.ts';
import { createAuthorizeUrl, loginWithWeibo } from '../../apps/api/src/modules/weibo-login/weibo-login.service.ts';

const config = loadConfig();
const app = await buildApp(config, createLogger('warn'));
const browserIdOf = (cookie: string | undefined) => /(?:^|;\s*)wl_browser=([A-Za-z0-9_-]{43})/.exec(cookie ?? '')?.[1] ?? null;
const requestInfo = (cookie: string | undefined, ip: string | undefined, userAgent: string | undefined): RequestInfo => ({
  client: { ip: ip ?? null, userAgent: userAgent ?? null },
  browserId: browserIdOf(cookie),
});
const login = (body: { code: string; state: string }, info: RequestInfo) => loginWithWeibo(app.deps, body, info);
const authorize = (cookie: string | undefined) => createAuthorizeUrl(app.deps, {}, browserIdOf(cookie)!, null);

if (process.env.LAYERS === 'fastify') {
  app.app.post('/login', async (request) => login(request.body as { code: string; state: string }, requestInfo(request.headers.cookie, request.ip, request.headers['user-agent'])));
  app.app.get('/authorize', async (request) => authorize(request.headers.cookie));
  app.app.get('/healthz', async () => ({ ok: true }));
  await app.start();
} else {
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const { cookie } = request.headers;
    let answer: unknown = { ok: true };
    if (request.url === '/login') {
      answer = await login(JSON.parse(Buffer.concat(chunks).toString('utf8')), requestInfo(cookie, request.socket.remoteAddress, request.headers['user-agent']));
    } else if (request.url === '/authorize') answer = await authorize(cookie);
    const text = JSON.stringify(answer);
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  });
  server.listen(config.port, config.host);
}
process.on('SIGTERM', () => void app.stop().finally(() => process.exit(0)));
