import { TRPCError } from '@trpc/server';
import { ERROR_REASONS, type ErrorReason } from '@weibo-login/shared';

/** The human sentence for each reason. The web app translates by reason; this is for everyone else. */
const MESSAGES: Record<ErrorReason, string> = {
  INVALID_INPUT: 'The request is not valid; see error.data.issues.',
  STATE_INVALID: 'This sign-in link is invalid, expired or already used. Start again.',
  WEIBO_DENIED: 'Authorization was refused at Weibo.',
  WEIBO_CODE_INVALID: 'Weibo did not accept this sign-in (expired or already used). Start again.',
  WEIBO_UNAVAILABLE: 'Weibo is not answering properly right now. Try again in a moment.',
  TICKET_INVALID: 'This binding request is invalid or expired. Sign in with Weibo again.',
  BAD_CREDENTIALS: 'Wrong account or password.',
  TOO_MANY_ATTEMPTS: 'Too many failed attempts. Try again later.',
  ACCOUNT_TAKEN: 'This account name is already taken.',
  WEIBO_ALREADY_BOUND: 'This Weibo account is already bound to another account.',
  ACCOUNT_ALREADY_BOUND: 'This account already has a Weibo account bound.',
  UNAUTHENTICATED: 'Please sign in.',
  BROWSER_MISMATCH: 'This sign-in was started in another browser. Finish it in the browser where you started, or start again here.',
  WEIBO_APP_UNAUDITED:
    "This site's Weibo app is not yet approved by Weibo, so only its test accounts can sign in with Weibo. Sign in with your password.",
  WEIBO_RATE_LIMITED: 'Weibo is limiting requests from this site right now. Try again later, or sign in with your password.',
  WEIBO_MISCONFIGURED: 'Weibo sign-in is not available here right now. Sign in with your password.',
  WEIBO_SIGNUP_CLOSED: 'New accounts cannot be created with Weibo here. Bind an existing account instead.',
  WEIBO_MISMATCH: 'That is not the Weibo account bound to this account.',
  REAUTH_REQUIRED: 'Confirm it is you first: enter your password or sign in with Weibo again.',
  LAST_SIGN_IN_METHOD: 'Set a password before unbinding Weibo: it is the only way to sign in to this account.',
  DEVICE_NOT_FOUND: 'That device is not signed in to this account.',
  ACCOUNT_DISABLED: 'This account has been disabled.',
  SERVICE_UNAVAILABLE: 'The service is temporarily unavailable. Try again in a moment.',
  INTERNAL: 'Something went wrong on our side.',
};

export interface AppErrorDetails {
  retryAfterSeconds?: number;
  /** With TOO_MANY_ATTEMPTS, which bound refused the call, so the message says the truth:
   * `failures` (wrong passwords), `in_flight` (other sign-ins still being checked), `busy` (the
   * password checker's queue is full), `rate` (too many requests of this kind). */
  limit?: 'failures' | 'in_flight' | 'busy' | 'rate';
  /** With INVALID_INPUT raised by a service (not by zod): the fields at fault, as zod's would be. */
  issues?: { path: (string | number)[]; message: string }[];
}

/**
 * What services throw. It is a TRPCError whose code comes from the one reason → code map in
 * @weibo-login/shared; the error formatter adds `data.reason` and the details.
 */
export class AppError extends TRPCError {
  readonly reason: ErrorReason;
  readonly details: AppErrorDetails;

  constructor(reason: ErrorReason, details: AppErrorDetails = {}, options: { cause?: unknown; message?: string } = {}) {
    super({ code: ERROR_REASONS[reason], message: options.message ?? messageFor(reason, details), cause: options.cause });
    this.reason = reason;
    this.details = details;
  }
}

const TOO_MANY: Record<NonNullable<AppErrorDetails['limit']>, string> = {
  failures: 'Too many failed attempts.',
  in_flight: 'Other sign-ins to this account are still being checked.',
  busy: 'Too many sign-ins are being checked right now.',
  rate: 'Too many requests of this kind from here.',
};

function messageFor(reason: ErrorReason, details: AppErrorDetails): string {
  if (reason === 'TOO_MANY_ATTEMPTS' && details.retryAfterSeconds !== undefined) {
    const seconds = details.retryAfterSeconds;
    return `${TOO_MANY[details.limit ?? 'failures']} Try again in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`;
  }
  return MESSAGES[reason];
}

export const defaultMessage = (reason: ErrorReason): string => MESSAGES[reason];
