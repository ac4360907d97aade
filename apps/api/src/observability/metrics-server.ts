/**
 * The metrics endpoint (CONTRACT §4, 2e): `GET /metrics` on METRICS_HOST:METRICS_PORT, a port of
 * its own, never the public one, so that what it tells (error rates, queue lengths) is for the
 * operator's scraper only. Plain node:http: one route, no framework needed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
/** What is scraped: one process's registry, or the cluster's aggregate (workers.ts). */
export interface Scrapable {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(registry: Scrapable, host: string, port: number): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
