import { activityOutput, credentialsInput, logoutInput, meOutput, okOutput, signedInSchema } from '@weibo-login/shared';
import { describeAccount, listActivity, loginWithPassword, logout, registerWithPassword } from '../../modules/users/users.service.ts';
import { authedProcedure, publicProcedure, router } from '../init.ts';

export const authRouter = router({
  register: publicProcedure
    .input(credentialsInput)
    .output(signedInSchema)
    .mutation(({ ctx, input }) => registerWithPassword(ctx.deps, input, ctx.request.client)),

  login: publicProcedure
    .input(credentialsInput)
    .output(signedInSchema)
    .mutation(({ ctx, input }) => loginWithPassword(ctx.deps, input, ctx.request.client)),

  me: authedProcedure.output(meOutput).query(({ ctx }) => describeAccount(ctx.deps, ctx.session)),

  logout: authedProcedure
    .input(logoutInput)
    .output(okOutput)
    .mutation(({ ctx, input }) => logout(ctx.deps, ctx.session, input?.everywhere ?? false, ctx.request.client)),

  activity: authedProcedure.output(activityOutput).query(({ ctx }) => listActivity(ctx.deps, ctx.session)),
});
