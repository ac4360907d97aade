import {
  deleteAccountInput,
  deviceIdInput,
  devicesOutput,
  exportOutput,
  okOutput,
  reauthenticatedOutput,
  reauthenticateInput,
  setPasswordInput,
} from '@weibo-login/shared';
import { deleteOwnAccount } from '../../modules/account/account-deletion.ts';
import { exportAccount, listDevices, setPassword, signOutDevice } from '../../modules/account/account.service.ts';
import { reauthenticateWithPassword } from '../../modules/account/reauthentication.ts';
import { authedProcedure, router } from '../init.ts';

/** (2e) The account's life: re-authentication, devices, password, deletion and export. */
export const accountRouter = router({
  reauthenticate: authedProcedure
    .input(reauthenticateInput)
    .output(reauthenticatedOutput)
    .mutation(({ ctx, input }) => reauthenticateWithPassword(ctx.deps, input.password, ctx.session, ctx.request)),

  devices: authedProcedure.output(devicesOutput).query(({ ctx }) => listDevices(ctx.deps, ctx.session)),

  signOutDevice: authedProcedure
    .input(deviceIdInput)
    .output(okOutput)
    .mutation(({ ctx, input }) => signOutDevice(ctx.deps, input.id, ctx.session, ctx.request)),

  setPassword: authedProcedure
    .input(setPasswordInput)
    .output(okOutput)
    .mutation(({ ctx, input }) => setPassword(ctx.deps, input, ctx.session, ctx.request)),

  delete: authedProcedure
    .input(deleteAccountInput)
    .output(okOutput)
    .mutation(({ ctx, input }) => deleteOwnAccount(ctx.deps, input ?? {}, ctx.session, ctx.request)),

  export: authedProcedure.output(exportOutput).query(({ ctx }) => exportAccount(ctx.deps, ctx.session)),
});
