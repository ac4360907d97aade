/**
 * What the operator's services answer (`pnpm admin`, human or `--json`): accounts, their Weibo
 * binding with the uid masked, devices and events. Never a secret, a hash or a token: the mappers
 * below take the columns they show and nothing else.
 */
import type { ActivityEvent } from '@weibo-login/shared';
import type { IdentityRow } from '../identities/identities.table.ts';
import type { SessionRow } from '../sessions/sessions.table.ts';
import type { AccountMatchRow } from './operator.repository.ts';

export interface OperatorWeibo {
  /** Masked: `52****0175` (maskUid). */
  uid: string;
  screenName: string;
}

export interface OperatorAccountSummary {
  id: string;
  account: string;
  displayName: string | null;
  hasPassword: boolean;
  /** When an operator disabled it, or null. */
  disabledAt: string | null;
  createdAt: string;
  weibo: OperatorWeibo | null;
}

export interface OperatorFindResult {
  query: string;
  accounts: OperatorAccountSummary[];
  /** More accounts matched than were listed: narrow the search. */
  truncated: boolean;
}

export interface OperatorWeiboBinding extends OperatorWeibo {
  boundAt: string;
  /** The latest Weibo sign-in (from the account's events, so within AUDIT_RETENTION_DAYS), or null. */
  lastSignInAt: string | null;
  /** When the stored Weibo token expires (null: none stored or unknown). The token itself is never shown. */
  tokenExpiresAt: string | null;
}

/** A live session of the account, as its owner sees it in account.devices (the id names the
 * device; it is no credential without the signed token). */
export interface OperatorDevice {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  method: 'password' | 'weibo';
  ip: string | null;
  userAgent: string | null;
}

/** One account in full. Not its avatar: Weibo's older avatar URLs hold the uid that is masked here. */
export interface OperatorAccountDetails extends Omit<OperatorAccountSummary, 'weibo'> {
  updatedAt: string;
  weibo: OperatorWeiboBinding | null;
  devices: OperatorDevice[];
  /** The latest events, newest first, as the owner sees them in auth.activity. */
  events: ActivityEvent[];
}

export type OperatorAction = 'disable' | 'enable' | 'unbind' | 'sign-out' | 'delete';

/** What a change did. */
export interface OperatorChange {
  action: OperatorAction;
  account: { id: string; account: string };
  /** false: there was nothing to do (already disabled, nothing bound, no session…); no event was written. */
  changed: boolean;
  reason: string;
  /** Live sessions ended (their tokens stopped working at once). */
  sessionsEnded: number;
  /** The revoke of the Weibo grant: `revoked` (Weibo took it now), `pending` (in the outbox: the
   * API retries it until Weibo answers or the token expires), `none` (nothing to revoke). */
  weiboRevoke: 'revoked' | 'pending' | 'none';
}

export const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A Weibo uid as the operator's screens show it: the first 2 and the last 4 digits of a usual
 * 10-digit uid (`5285840175` → `52****0175`); of a shorter one less, so that at least half of it
 * is always hidden; of a very short one nothing.
 */
export function maskUid(uid: string): string {
  const digits = [...uid];
  const n = digits.length;
  const [head, tail] = n >= 10 ? [2, 4] : n >= 6 ? [1, 2] : n >= 4 ? [0, 1] : [0, 0];
  return digits.map((c, i) => (i < head || i >= n - tail ? c : '*')).join('');
}

export function toAccountSummary(row: AccountMatchRow): OperatorAccountSummary {
  return {
    id: String(row.id),
    account: row.account,
    displayName: row.display_name,
    hasPassword: Number(row.has_password) === 1,
    disabledAt: row.disabled_at === null ? null : iso(row.disabled_at),
    createdAt: iso(row.created_at),
    weibo: row.weibo_uid === null ? null : { uid: maskUid(row.weibo_uid), screenName: row.weibo_screen_name ?? '' },
  };
}

export function toWeiboBinding(
  identity: Pick<IdentityRow, 'provider_uid' | 'screen_name' | 'bound_at' | 'token_expires_at'>,
  lastSignInAt: number | null,
): OperatorWeiboBinding {
  return {
    uid: maskUid(identity.provider_uid),
    screenName: identity.screen_name,
    boundAt: iso(identity.bound_at),
    lastSignInAt: lastSignInAt === null ? null : iso(lastSignInAt),
    tokenExpiresAt: identity.token_expires_at === null ? null : iso(identity.token_expires_at),
  };
}

export function toOperatorDevice(row: SessionRow): OperatorDevice {
  return {
    id: row.id,
    createdAt: iso(row.created_at),
    lastUsedAt: iso(row.last_used_at ?? row.created_at),
    method: row.method === 'weibo' ? 'weibo' : 'password',
    ip: row.ip,
    userAgent: row.user_agent,
  };
}
