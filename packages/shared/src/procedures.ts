import { z } from 'zod';
import { accountSchema, codeSchema, newAccountSchema, passwordSchema, redirectToSchema, stateSchema, ticketSchema } from './fields.ts';
import { activityEventSchema, bindRequiredSchema, identitySchema, signedInSchema, userSchema } from './dto.ts';

/** Input and output of every procedure of CONTRACT §3, by procedure path. Unknown keys are
 * refused so that a misspelt field is an error, not silently ignored. */
export const authorizeUrlInput = z
  .strictObject({ redirectTo: redirectToSchema.optional(), intent: z.enum(['login', 'connect']).optional() })
  .optional();
export const authorizeUrlOutput = z.object({ url: z.string(), state: z.string() });

export const codeStateInput = z.strictObject({ code: codeSchema, state: stateSchema });
export const weiboLoginOutput = z.discriminatedUnion('status', [signedInSchema, bindRequiredSchema]);

export const ticketCredentialsInput = z.strictObject({ ticket: ticketSchema, account: accountSchema, password: passwordSchema });
export const credentialsInput = z.strictObject({ account: accountSchema, password: passwordSchema });
/** Creating an account: the name must be a new-style (ASCII) one. */
export const newCredentialsInput = z.strictObject({ account: newAccountSchema, password: passwordSchema });
export const ticketNewCredentialsInput = z.strictObject({ ticket: ticketSchema, account: newAccountSchema, password: passwordSchema });
export const unbindInput = z.strictObject({ password: passwordSchema });
export const connectOutput = z.object({ identity: identitySchema });
export const okOutput = z.object({ ok: z.literal(true) });
export const logoutInput = z.strictObject({ everywhere: z.boolean().optional() }).optional();
export const meOutput = z.object({ user: userSchema, identities: z.array(identitySchema) });
export const activityOutput = z.object({ events: z.array(activityEventSchema) });

export type AuthorizeUrlInput = z.input<typeof authorizeUrlInput>;
export type WeiboLoginOutput = z.infer<typeof weiboLoginOutput>;
