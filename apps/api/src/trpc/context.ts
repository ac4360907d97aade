/**
 * The tRPC context: the app's dependencies, who is asking, and the browser-binding cookie.
 * The session is verified only by procedures that need it (authedProcedure), not per request.
 */
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AppDeps, RequestInfo } from '../deps.ts';
import { randomToken } from '../crypto.ts';

/** HttpOnly, SameSite=Lax cookie that ties an OAuth state to the browser that asked for it. */
export const BROWSER_COOKIE = 'wl_browser';
const BROWSER_COOKIE_MAX_AGE_S = 24 * 60 * 60;
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
  /** The browser's binding id, set as a cookie first if the browser has none. */
  ensureBrowserId(): string;
  log: Logger;
}

export function createFastifyContext(deps: AppDeps) {
  return ({ req, res }: { req: FastifyRequest; res: FastifyReply }): Context => {
    const cookie = req.cookies[BROWSER_COOKIE];
    let browserId = cookie && BROWSER_ID.test(cookie) ? cookie : null;
    return {
      deps,
      request: {
        client: { ip: req.ip.slice(0, CLIENT_IP_MAX), userAgent: req.headers['user-agent']?.slice(0, USER_AGENT_MAX) ?? null },
        browserId,
      },
      authorization: req.headers.authorization,
      ensureBrowserId() {
        if (browserId) return browserId;
        browserId = randomToken();
        res.setCookie(BROWSER_COOKIE, browserId, {
          httpOnly: true,
          sameSite: 'lax',
          path: '/',
          secure: req.protocol === 'https',
          maxAge: BROWSER_COOKIE_MAX_AGE_S,
        });
        return browserId;
      },
      log: req.log as unknown as Logger,
    };
  };
}
