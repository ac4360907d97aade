/** Reading parameters the way Weibo does: query and form body alike, first value wins for repeated keys. */
import type { FastifyRequest } from 'fastify';

export function firstString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function stringsOf(source: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!source || typeof source !== 'object') return out;
  for (const [key, value] of Object.entries(source)) {
    const str = firstString(value);
    if (str !== undefined) out[key] = str;
  }
  return out;
}

/** Query string plus body, with the body winning (reference §2 notes both styles are used by real clients). */
export function mergedParams(request: FastifyRequest): Record<string, string | undefined> {
  return { ...stringsOf(request.query), ...stringsOf(request.body) };
}

export function pathOf(request: FastifyRequest): string {
  const url = request.url;
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** `access_token` from query/body, else the `Authorization: OAuth2 <token>` header (the scheme word is OAuth2, not Bearer). */
export function tokenFromRequest(request: FastifyRequest): string | undefined {
  const fromParams = mergedParams(request).access_token;
  if (fromParams) return fromParams;
  const header = request.headers.authorization;
  const match = header ? /^OAuth2\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** The origin the client reached us on, so avatar URLs work behind any host/port mapping. */
export function baseUrlOf(request: FastifyRequest, fallback: string): string {
  const host = request.headers.host;
  if (host && /^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/.test(host)) return `${request.protocol}://${host}`;
  return fallback;
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** Adds already-encoded `k=v` pairs to a URL, with `?` or `&` as the URL needs, keeping any #fragment last. */
export function appendQuery(url: string, pairs: string[]): string {
  if (pairs.length === 0) return url;
  const hashAt = url.indexOf('#');
  const base = hashAt < 0 ? url : url.slice(0, hashAt);
  const hash = hashAt < 0 ? '' : url.slice(hashAt);
  const sep = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${sep}${pairs.join('&')}${hash}`;
}
