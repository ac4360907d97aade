/**
 * The API as a library, for programs that build it without its server or beside another front
 * end: the bench's layer diagnostics (bench/layers) today, which also mount the router on tRPC's
 * own Fastify plugin. Its process entry is `./main`, its
 * router's type `./router`, its bounds on work `./bounds` (package.json's exports).
 */
export { buildApp } from './app.ts';
export { loadConfig } from './config.ts';
export type { RequestInfo } from './types.ts';
export { addressKeyOf } from './limits/address.ts';
export { MAX_BATCH_CALLS } from './limits/bounds.ts';
export { createLogger } from './logger.ts';
export type { NewSessionRow, SessionRow } from './modules/sessions/sessions.table.ts';
export { createAuthorizeUrl, loginWithWeibo } from './modules/weibo-login/weibo-login.service.ts';
export { createFastifyContext } from './trpc/context.ts';
export { appRouter } from './trpc/router.ts';
