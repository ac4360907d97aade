/**
 * What Weibo's error codes (shared/reference/weibo-api.md §6, §7, §9) mean for the person signing
 * in, and what the operator must do about them. The person gets a reason they can act on; the
 * operator's log line names the setting to fix. Part of oauth/ (Weibo's quirks live here alone).
 */
import type { ErrorReason } from '@weibo-login/shared';

type Step = 'access_token' | 'users_show' | 'get_token_info' | 'revokeoauth2';

export interface Refusal {
  reason: ErrorReason;
  /** 'error': the site's own configuration is wrong (an operator must act); 'warn': otherwise. */
  level: 'warn' | 'error';
  /** For the log line: what an operator checks or does. */
  hint?: string;
}

/** §6: the person refused at Weibo (also used for a missing scope). */
const DENIED = 21330;
/** §7, §9 P7: the app is not yet audited and this Weibo account is not one of its test accounts;
 * often seen only at users/show, after the token exchange succeeded. */
const UNAUDITED = 21321;
/** §6: the site's request limits at Weibo (per IP, per user, per user and API). */
const RATE_LIMITED = new Set([10022, 10023, 10024]);
/** §2, §9 P5: the code is spent, expired, unknown or malformed: start the login again. */
const CODE_REFUSED = new Set([21323, 21325, 21327]);
/** §6, §7, §9 P3: Weibo rejects the site's own configuration, whoever signs in. */
const MISCONFIGURED = new Map<number, string>([
  [21322, 'WEIBO_REDIRECT_URI must be exactly the 授权回调页 registered for the Weibo app (open.weibo.com › 应用信息 › 高级信息)'],
  [21324, 'WEIBO_CLIENT_ID and WEIBO_CLIENT_SECRET must be the Weibo app’s AppKey and AppSecret'],
  [21326, 'the Weibo app (WEIBO_CLIENT_ID) lacks permission for this call: check its level and 接口权限 at open.weibo.com'],
  [21320, 'WEIBO_API_BASE and WEIBO_AUTHORIZE_URL must be https: URLs'],
]);

/** The reason for a Weibo error code seen at `step` (undefined code: no error code in the answer). */
export function weiboRefusal(step: Step, code: number | undefined): Refusal {
  if (code === DENIED) return { reason: 'WEIBO_DENIED', level: 'warn' };
  if (code === UNAUDITED) {
    return {
      reason: 'WEIBO_APP_UNAUDITED',
      level: 'warn',
      hint: 'the Weibo app is not audited: only its developer and the test accounts under 应用信息 › 测试信息 can sign in until it passes review',
    };
  }
  if (code !== undefined && RATE_LIMITED.has(code)) {
    return {
      reason: 'WEIBO_RATE_LIMITED',
      level: 'warn',
      hint: 'Weibo’s request limits for this app were reached (10022 per IP, 10023 per user, 10024 per user and API)',
    };
  }
  const setting = code === undefined ? undefined : MISCONFIGURED.get(code);
  if (setting) return { reason: 'WEIBO_MISCONFIGURED', level: 'error', hint: setting };
  if (code !== undefined && step === 'access_token' && CODE_REFUSED.has(code)) return { reason: 'WEIBO_CODE_INVALID', level: 'warn' };
  return { reason: 'WEIBO_UNAVAILABLE', level: 'warn' };
}
