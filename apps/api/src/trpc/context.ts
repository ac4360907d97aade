/**
 * The tRPC context: the app's dependencies, who is asking, and the browser-binding cookie.
 * The session is verified only by procedures that need it (authedProcedure), not per request.
 */
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AppDeps } from '../deps.ts';
import type { RequestInfo } from '../types.ts';
import { randomToken } from '../crypto/random.ts';
import { addressKeyOf } from '../limits/address.ts';
import { KNOWN_BROWSER_TTL_MS } from '../limits/bounds.ts';

/** HttpOnly, SameSite=Lax cookie that ties an OAuth state (and a bind ticket) to the browser
 * that asked for it. Over https it carries the `__Host-` prefix: the browser then accepts it
 * only from this very host, Secure, for Path=/ — no subdomain or other path can plant one. */
export const BROWSER_COOKIE = 'wl_browser';
export const SECURE_BROWSER_COOKIE = `__Host-${BROWSER_COOKIE}`;
/** As long as a browser stays known to an account (renewed at each password sign-in), so the
 * owner's browser is still recognised during an attack on the account. */
const BROWSER_COOKIE_MAX_AGE_S = KNOWN_BROWSER_TTL_MS / 1000;
const BROWSER_ID = /^[A-Za-z0-9_-]{43}$/;
const USER_AGENT_MAX = 512;
/** The address columns' size. Behind a trusted proxy the address is whatever the proxy forwarded,
 * which need not be an IP; clipped, it is still a key for the per-address limit, never a 500. */
const CLIENT_IP_MAX = 64;

export interface Context {
  deps: AppDeps;
  request: RequestInfo;
  /** The raw Authorization header, verified lazily. */
  authorization: string | undefined;
  /** The browser's binding id, set as a cookie first if the browser has none (or again, with
   * `renew`, to restart its lifetime). */
  ensureBrowserId(options?: { renew?: boolean }): string;
  log: Logger;
}

/**
 * The binding id the request carries, or null. Two different values under the cookie's name
 * (one planted for a narrower path, say) make it null rather than a guess: whichever we took
 * could be the planted one.
 */
export function browserIdOf(cookieHeader: string | undefined, name: string): string | null {
  if (!cookieHeader?.includes(name)) return null;
  let found: string | null = null;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    if (found !== null && found !== value) return null;
    found = value;
  }
  return found !== null && BROWSER_ID.test(found) ? found : null;
}

/** What a caller without HTTP (a test, the bench, a tool) gives to make a context. */
export interface InnerContextOptions {
  request: RequestInfo;
  /** The Authorization header as it came, verified only by the procedures that need it. */
  authorization?: string | undefined;
  log: Logger;
  /** Hands a new (or renewed) browser-binding id to the client; the HTTP adapter sets the cookie. */
  setBrowserCookie?: (browserId: string) => void;
}

/**
 * The context without a request (tRPC's createContextInner): everything the procedures see.
 * createFastifyContext only adds what comes from HTTP (the address, the cookie, the abort
 * signal); the tests build their callers from this too.
 */
export function createContextInner(deps: AppDeps, options: InnerContextOptions): Context {
  const { request } = options;
  return {
    deps,
    request,
    authorization: options.authorization,
    ensureBrowserId(ensure) {
      if (request.browserId && !ensure?.renew) return request.browserId;
      request.browserId ??= randomToken();
      options.setBrowserCookie?.(request.browserId);
      return request.browserId;
    },
    log: options.log,
  };
}

export function createFastifyContext(deps: AppDeps) {
  return ({ req, res }: { req: FastifyRequest; res: FastifyReply }): Context => {
    const secure = req.protocol === 'https';
    const cookieName = secure ? SECURE_BROWSER_COOKIE : BROWSER_COOKIE;
    const ip = req.ip.slice(0, CLIENT_IP_MAX);
    const log = req.log as unknown as Logger;
    let aborted: AbortController | undefined;
    const request: RequestInfo = {
      client: { ip, userAgent: req.headers['user-agent']?.slice(0, USER_AGENT_MAX) ?? null },
      addressKey: addressKeyOf(ip),
      browserId: browserIdOf(req.headers.cookie, cookieName),
      get signal() {
        if (!aborted) {
          const controller = (aborted = new AbortController());
          // 'close' also follows a completed answer; only one closed before it means the client left.
          res.raw.once('close', () => {
            if (!res.raw.writableFinished) controller.abort(new Error('the client went away'));
          });
        }
        return aborted.signal;
      },
      log,
    };
    return createContextInner(deps, {
      request,
      authorization: req.headers.authorization,
      log,
      setBrowserCookie: (browserId) =>
        void res.setCookie(cookieName, browserId, { httpOnly: true, sameSite: 'lax', path: '/', secure, maxAge: BROWSER_COOKIE_MAX_AGE_S }),
    });
  };
}
