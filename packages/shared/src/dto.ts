import { z } from 'zod';

/** Identifiers are strings; times are ISO-8601 strings (CONTRACT §3). */
export const userSchema = z.object({
  id: z.string(),
  account: z.string(),
  displayName: z.string().nullable(),
  avatarUrl: z.string().nullable(),
});
export type User = z.infer<typeof userSchema>;

export const sessionSchema = z.object({ token: z.string(), expiresAt: z.string() });
export type Session = z.infer<typeof sessionSchema>;

export const weiboProfileSchema = z.object({
  uid: z.string(),
  screenName: z.string(),
  avatarUrl: z.string().nullable(),
});
export type WeiboProfile = z.infer<typeof weiboProfileSchema>;

export const signedInSchema = z.object({
  status: z.literal('signed_in'),
  session: sessionSchema,
  user: userSchema,
  redirectTo: z.string(),
});
export type SignedIn = z.infer<typeof signedInSchema>;

export const bindRequiredSchema = z.object({
  status: z.literal('bind_required'),
  ticket: z.string(),
  profile: weiboProfileSchema,
  redirectTo: z.string(),
});
export type BindRequired = z.infer<typeof bindRequiredSchema>;

export const identitySchema = z.object({
  provider: z.literal('weibo'),
  uid: z.string(),
  screenName: z.string(),
  avatarUrl: z.string().nullable(),
  boundAt: z.string(),
});
export type Identity = z.infer<typeof identitySchema>;

/** The kinds of `auth.activity` events: a closed list so the web app can translate each. */
export const ACTIVITY_KINDS = [
  'account_created',
  'sign_in_password',
  'sign_in_weibo',
  'password_failed',
  'weibo_bound',
  'weibo_unbound',
  'weibo_revoked',
  'logout',
  'logout_everywhere',
] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export const activityEventSchema = z.object({
  kind: z.string(),
  at: z.string(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
});
export type ActivityEvent = z.infer<typeof activityEventSchema>;
