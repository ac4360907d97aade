import { z } from 'zod';
import { accountSchema, codeSchema, newAccountSchema, passwordSchema, redirectToSchema, stateSchema, ticketSchema } from './fields.ts';
import {
  activityEventSchema,
  bindRequiredSchema,
  deviceSchema,
  identitySchema,
  signedInSchema,
  siteInfoSchema,
  userSchema,
} from './dto.ts';

/** Input and output of every procedure of CONTRACT §3, by procedure path. Unknown keys are
 * refused so that a misspelt field is an error, not silently ignored. */
/** Why a trip to Weibo is made: to sign in, to connect Weibo to the signed-in account, or (2e)
 * to prove that the person at the keyboard owns the bound Weibo account. */
export const OAUTH_INTENTS = ['login', 'connect', 'reauth'] as const;
export type OAuthIntent = (typeof OAUTH_INTENTS)[number];
export const authorizeUrlInput = z
  .strictObject({
    redirectTo: redirectToSchema.optional(),
    intent: z.enum(OAUTH_INTENTS).optional(),
    /** (2e) 'mobile': Weibo's phone page; without it, chosen from the User-Agent. */
    display: z.enum(['default', 'mobile']).optional(),
    /** (2e) Weibo asks for a fresh sign-in even if someone is signed in there (`forcelogin=true`). */
    forceLogin: z.boolean().optional(),
  })
  .optional();
export const authorizeUrlOutput = z.object({ url: z.string(), state: z.string(), intent: z.enum(OAUTH_INTENTS) });

export const codeStateInput = z.strictObject({ code: codeSchema, state: stateSchema });
export const weiboLoginOutput = z.discriminatedUnion('status', [signedInSchema, bindRequiredSchema]);
/** (2e) weibo.finish: whatever the state's intent leads to. */
export const weiboFinishOutput = z.discriminatedUnion('status', [
  signedInSchema,
  bindRequiredSchema,
  z.object({ status: z.literal('connected'), identity: identitySchema }),
  z.object({ status: z.literal('reauthenticated'), until: z.string() }),
]);

export const ticketCredentialsInput = z.strictObject({ ticket: ticketSchema, account: accountSchema, password: passwordSchema });
export const credentialsInput = z.strictObject({ account: accountSchema, password: passwordSchema });
/** Creating an account: the name must be a new-style (ASCII) one. */
export const newCredentialsInput = z.strictObject({ account: newAccountSchema, password: passwordSchema });
/** (2e) A new account from a Weibo ticket: name and password both optional (a `wb_` name is made,
 * and without a password the account signs in with Weibo only). */
export const ticketNewCredentialsInput = z.strictObject({
  ticket: ticketSchema,
  account: newAccountSchema.optional(),
  password: passwordSchema.optional(),
});
/** (2e) The password is optional: a recent re-authentication stands in for it. */
export const unbindInput = z.strictObject({ password: passwordSchema.optional() }).optional();
export const connectOutput = z.object({ identity: identitySchema });
export const okOutput = z.object({ ok: z.literal(true) });
export const logoutInput = z.strictObject({ everywhere: z.boolean().optional() }).optional();
export const meOutput = z.object({ user: userSchema, identities: z.array(identitySchema) });
export const activityOutput = z.object({ events: z.array(activityEventSchema) });

/** (2e) The account.* procedures and site.info. */
export const reauthenticateInput = z.strictObject({ password: passwordSchema });
export const reauthenticatedOutput = z.object({ until: z.string() });
export const devicesOutput = z.object({ devices: z.array(deviceSchema) });
export const deviceIdInput = z.strictObject({ id: z.string().min(1).max(128) });
export const setPasswordInput = z.strictObject({ currentPassword: passwordSchema.optional(), newPassword: passwordSchema });
export const deleteAccountInput = z.strictObject({ password: passwordSchema.optional() }).optional();
export const exportOutput = z.object({
  exportedAt: z.string(),
  user: userSchema,
  identities: z.array(identitySchema),
  devices: z.array(deviceSchema),
  events: z.array(activityEventSchema),
});
export const siteInfoOutput = siteInfoSchema;

export type AuthorizeUrlInput = z.input<typeof authorizeUrlInput>;
export type WeiboLoginOutput = z.infer<typeof weiboLoginOutput>;
export type WeiboFinishOutput = z.infer<typeof weiboFinishOutput>;
export type AccountExport = z.infer<typeof exportOutput>;
