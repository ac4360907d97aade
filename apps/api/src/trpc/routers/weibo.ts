import {
  authorizeUrlInput,
  authorizeUrlOutput,
  codeStateInput,
  connectOutput,
  okOutput,
  signedInSchema,
  ticketCredentialsInput,
  ticketNewCredentialsInput,
  unbindInput,
  weiboFinishOutput,
  weiboLoginOutput,
} from '@weibo-login/shared';
import { connectWeibo, unbindWeibo } from '../../modules/weibo-login/weibo-binding.service.ts';
import {
  bindWithPassword,
  createAuthorizeUrl,
  finishWeibo,
  loginWithWeibo,
  registerWithWeibo,
} from '../../modules/weibo-login/weibo-login.service.ts';
import { authedProcedure, optionalSessionProcedure, publicProcedure, router } from '../init.ts';

export const weiboRouter = router({
  /** Public for `login`; a `connect` or `reauth` URL needs a session, which the service checks. */
  authorizeUrl: optionalSessionProcedure
    .input(authorizeUrlInput)
    .output(authorizeUrlOutput)
    .query(({ ctx, input }) => createAuthorizeUrl(ctx.deps, input ?? {}, ctx.ensureBrowserId(), ctx.session, ctx.request)),

  /** (2e) The /weibo page's one call: the state's intent decides (a `connect` or `reauth` state needs its account's session). */
  finish: optionalSessionProcedure
    .input(codeStateInput)
    .output(weiboFinishOutput)
    .mutation(({ ctx, input }) => finishWeibo(ctx.deps, input, ctx.request, ctx.session)),

  login: publicProcedure
    .input(codeStateInput)
    .output(weiboLoginOutput)
    .mutation(({ ctx, input }) => loginWithWeibo(ctx.deps, input, ctx.request)),

  bind: publicProcedure
    .input(ticketCredentialsInput)
    .output(signedInSchema)
    .mutation(({ ctx, input }) => bindWithPassword(ctx.deps, input, ctx.request)),

  register: publicProcedure
    .input(ticketNewCredentialsInput)
    .output(signedInSchema)
    .mutation(({ ctx, input }) => registerWithWeibo(ctx.deps, input, ctx.request)),

  connect: authedProcedure
    .input(codeStateInput)
    .output(connectOutput)
    .mutation(({ ctx, input }) => connectWeibo(ctx.deps, input, ctx.session, ctx.request)),

  unbind: authedProcedure
    .input(unbindInput)
    .output(okOutput)
    .mutation(({ ctx, input }) => unbindWeibo(ctx.deps, input ?? {}, ctx.session, ctx.request)),
});
