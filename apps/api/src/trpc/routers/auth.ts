import {
  activityOutput,
  credentialsInput,
  newCredentialsInput,
  logoutInput,
  meOutput,
  okOutput,
  signedInSchema,
} from '@weibo-login/shared';
import { describeAccount, listActivity, loginWithPassword, logout, registerWithPassword } from '../../modules/users/users.service.ts';
import { authedProcedure, browserProcedure, router } from '../init.ts';

export const authRouter = router({
  register: browserProcedure
    .input(newCredentialsInput)
    .output(signedInSchema)
    .mutation(({ ctx, input }) => registerWithPassword(ctx.deps, input, ctx.request)),

  login: browserProcedure
    .input(credentialsInput)
    .output(signedInSchema)
    .mutation(({ ctx, input }) => loginWithPassword(ctx.deps, input, ctx.request)),

  me: authedProcedure.output(meOutput).query(({ ctx }) => describeAccount(ctx.deps, ctx.session)),

  logout: authedProcedure
    .input(logoutInput)
    .output(okOutput)
    .mutation(({ ctx, input }) => logout(ctx.deps, ctx.session, input?.everywhere ?? false, ctx.request.client)),

  activity: authedProcedure.output(activityOutput).query(({ ctx }) => listActivity(ctx.deps, ctx.session)),
});
