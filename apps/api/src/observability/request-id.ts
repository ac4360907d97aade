/**
 * Every request's id, which every log line it causes carries (Fastify's `requestId`, handed to the
 * services and the Weibo client in RequestInfo.log). A reverse proxy that already gave the request
 * an id (`X-Request-Id`) is believed only when it is one of TRUST_PROXY's proxies, as its
 * X-Forwarded-For is: from anyone else the header could be used to forge or collide log lines.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

/** What a proxy's id may look like: the usual forms (UUIDs, hex, nginx's $request_id, AWS's Root=…). */
const FORWARDED_ID = /^[A-Za-z0-9._:=-]{1,128}$/;

export function requestIdOf(trustProxy: false | string[]): (request: IncomingMessage) => string {
  if (trustProxy === false) return () => randomUUID();
  const trusted = proxyAddr.compile(trustProxy);
  return (request) => {
    const forwarded = request.headers['x-request-id'];
    const peer = request.socket.remoteAddress;
    if (typeof forwarded === 'string' && FORWARDED_ID.test(forwarded) && peer !== undefined && trusted(peer, 0)) return forwarded;
    return randomUUID();
  };
}
