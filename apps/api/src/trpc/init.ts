/**
 * The one initTRPC. Errors leave through one formatter: every error carries `data.reason` from
 * the closed map in @weibo-login/shared (and the zod issues, or the retry wait); nothing else
 * of the server (stacks, driver messages, Weibo bodies) reaches the client.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import type { ErrorData, ErrorReason } from '@weibo-login/shared';
import { ZodError } from 'zod';
import { isDatabaseUnavailable } from '../db/errors.ts';
import { AppError, defaultMessage } from '../errors.ts';
import { verifySession } from '../modules/sessions/sessions.service.ts';
import type { Context } from './context.ts';

/** Errors raised by tRPC itself (bad JSON, unknown path, wrong method…) get the nearest reason. */
const REASON_OF_TRPC_CODE: Partial<Record<TRPCError['code'], ErrorReason>> = {
  PARSE_ERROR: 'INVALID_INPUT',
  BAD_REQUEST: 'INVALID_INPUT',
  NOT_FOUND: 'INVALID_INPUT',
  METHOD_NOT_SUPPORTED: 'INVALID_INPUT',
  PAYLOAD_TOO_LARGE: 'INVALID_INPUT',
  UNSUPPORTED_MEDIA_TYPE: 'INVALID_INPUT',
  UNAUTHORIZED: 'UNAUTHENTICATED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

/** The reason an error is answered with: the service's, or the nearest one to tRPC's code. */
const reasonOf = (error: TRPCError): ErrorReason =>
  error instanceof AppError ? error.reason : (REASON_OF_TRPC_CODE[error.code] ?? 'INTERNAL');

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const reason = reasonOf(error);
    const data: ErrorData & typeof shape.data = { ...shape.data, reason };
    delete (data as { stack?: string }).stack;
    let message = shape.message;
    if (error.cause instanceof ZodError) {
      data.issues = error.cause.issues.map((issue) => ({
        path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
        message: issue.message,
      }));
      message = defaultMessage('INVALID_INPUT');
    } else if (error instanceof AppError) {
      if (error.details.retryAfterSeconds !== undefined) data.retryAfterSeconds = error.details.retryAfterSeconds;
      if (error.details.limit !== undefined) data.limit = error.details.limit;
      if (error.details.issues !== undefined) data.issues = error.details.issues;
    } else if (reason === 'INTERNAL' || reason === 'SERVICE_UNAVAILABLE') {
      message = defaultMessage(reason);
    }
    return { ...shape, message, data };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** A database that cannot be reached is a 503 with a clear reason, not a 500. Every call's result
 * is counted (weibo_login_requests_total), by procedure and reason. */
const base = t.procedure.use(async ({ ctx, path, next }) => {
  const result = await next();
  if (!result.ok && !(result.error instanceof AppError) && isDatabaseUnavailable(result.error.cause)) {
    ctx.deps.metrics.request(path, 'SERVICE_UNAVAILABLE');
    throw new AppError('SERVICE_UNAVAILABLE', {}, { cause: result.error.cause });
  }
  ctx.deps.metrics.request(path, result.ok ? 'ok' : reasonOf(result.error));
  return result;
});

export const publicProcedure = base;

/** Public, and the browser gets its binding cookie first: a password sign-in remembers the
 * browser (so strangers' failures cannot lock the owner's own browser out, limits in docs/security.md). */
export const browserProcedure = base.use(({ ctx, next }) => {
  ctx.ensureBrowserId({ renew: true });
  return next();
});

/** The verified session of a request, or null: signature, expiry and a live sessions row. */
async function sessionOf(ctx: Context) {
  const match = /^Bearer ([A-Za-z0-9._-]{1,2048})$/.exec(ctx.authorization ?? '');
  if (!match) return null;
  return verifySession(ctx.deps.db, ctx.deps.jwtKeys, match[1]!, ctx.deps.now(), ctx.log);
}

/** Public, with `ctx.session` the request's verified session, or null (no token, or a dead one):
 * for a procedure whose service decides whether it needs one. */
export const optionalSessionProcedure = base.use(async ({ ctx, next }) => next({ ctx: { session: await sessionOf(ctx) } }));

export const authedProcedure = base.use(async ({ ctx, next }) => {
  const session = await sessionOf(ctx);
  if (!session) throw new AppError('UNAUTHENTICATED');
  return next({ ctx: { session } });
});
