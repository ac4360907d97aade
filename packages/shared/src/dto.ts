import { z } from 'zod';

/** Identifiers are strings; times are ISO-8601 strings (CONTRACT §3). */
export const userSchema = z.object({
  id: z.string(),
  account: z.string(),
  displayName: z.string().nullable(),
  avatarUrl: z.string().nullable(),
  /** (2e) false for an account made from Weibo without a password: it signs in with Weibo only. */
  hasPassword: z.boolean(),
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
  /** (2e) false when WEIBO_SIGNUP=closed: the ticket can only bind an existing account. */
  canRegister: z.boolean(),
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
  // (2e) the account's life
  'reauthenticated',
  'password_changed',
  'password_set',
  'device_signed_out',
  /** Kept without the account (anonymous), as a count. */
  'account_deleted',
  // (2e) an operator's actions (pnpm admin), each with its reason
  'operator_disabled',
  'operator_enabled',
  'operator_unbound',
  'operator_signed_out',
] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export const activityEventSchema = z.object({
  kind: z.string(),
  at: z.string(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  /** (2e) The operator's reason, for an operator's action; null otherwise. */
  reason: z.string().nullable(),
});
export type ActivityEvent = z.infer<typeof activityEventSchema>;

/** (2e) A signed-in device: one live session of the account. */
export const SIGN_IN_METHODS = ['password', 'weibo'] as const;
export const deviceSchema = z.object({
  id: z.string(),
  current: z.boolean(),
  createdAt: z.string(),
  lastUsedAt: z.string(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  method: z.enum(SIGN_IN_METHODS),
});
export type Device = z.infer<typeof deviceSchema>;

/** (2e) What the web app shows as the site (site.info). */
export const siteInfoSchema = z.object({
  name: z.string(),
  icp: z.string().nullable(),
  termsUrl: z.string(),
  privacyUrl: z.string(),
  weiboSignup: z.enum(['open', 'closed']),
});
export type SiteInfo = z.infer<typeof siteInfoSchema>;
