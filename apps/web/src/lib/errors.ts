/**
 * Turns whatever a call threw into something the interface can say: the API's `data.reason`
 * (CONTRACT §3) plus its details, or NETWORK when no tRPC answer came back. Views keep the
 * UiError and render errorMessage(error) in the template, so switching language retranslates it.
 */
// The zod-free entry: the sign-in page's bundle stays without zod.
import { isErrorReason, type ErrorReason } from '@weibo-login/shared/reasons';
import { i18n } from '../i18n/index.ts';

export type UiReason = ErrorReason | 'NETWORK';

export interface FieldIssue {
  path: (string | number)[];
  message: string;
}

export interface UiError {
  reason: UiReason;
  /** With TOO_MANY_ATTEMPTS: how long until a password may be tried again. */
  retryAfterSeconds?: number;
  /** With INVALID_INPUT: the fields the API refused. */
  issues?: FieldIssue[];
}

interface ErrorDataLike {
  reason?: unknown;
  retryAfterSeconds?: unknown;
  issues?: unknown;
}

export function toUiError(error: unknown): UiError {
  const data = (error as { data?: ErrorDataLike | null } | null)?.data;
  if (!data || !isErrorReason(data.reason)) return { reason: 'NETWORK' };
  const uiError: UiError = { reason: data.reason };
  if (typeof data.retryAfterSeconds === 'number' && data.retryAfterSeconds > 0) {
    uiError.retryAfterSeconds = data.retryAfterSeconds;
  }
  if (Array.isArray(data.issues)) uiError.issues = data.issues as FieldIssue[];
  return uiError;
}

/** A wait as people say it: "45 秒", "1 minute", "2 hours" (rounded up, never "0"). The count
 * goes to vue-i18n as the plural count, which English messages use to pick their form. */
export function formatWait(totalSeconds: number): string {
  const { t } = i18n.global;
  const seconds = Math.max(1, Math.ceil(totalSeconds));
  if (seconds < 60) return t('time.seconds', seconds);
  if (seconds < 3600) return t('time.minutes', Math.ceil(seconds / 60));
  return t('time.hours', Math.ceil(seconds / 3600));
}

export interface MessageOptions {
  /** The form asked for a password only (no account name): BAD_CREDENTIALS means "wrong password". */
  passwordOnly?: boolean;
}

export function errorMessage(error: UiError, options: MessageOptions = {}): string {
  const { t } = i18n.global;
  if (error.reason === 'TOO_MANY_ATTEMPTS') {
    return error.retryAfterSeconds === undefined
      ? t('errors.TOO_MANY_ATTEMPTS_LATER')
      : t('errors.TOO_MANY_ATTEMPTS', { wait: formatWait(error.retryAfterSeconds) });
  }
  if (error.reason === 'BAD_CREDENTIALS' && options.passwordOnly) return t('errors.WRONG_PASSWORD');
  return t(`errors.${error.reason}`);
}

/** Which form field an INVALID_INPUT issue is about, so the message sits under that field. */
export function issuesByField(error: UiError | null): Partial<Record<'account' | 'password', true>> {
  const fields: Partial<Record<'account' | 'password', true>> = {};
  for (const issue of error?.issues ?? []) {
    const field = issue.path[0];
    if (field === 'account' || field === 'password') fields[field] = true;
  }
  return fields;
}
