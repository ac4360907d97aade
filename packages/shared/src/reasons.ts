/**
 * The closed map of error reasons (CONTRACT §3). `error.data.reason` is always one of these;
 * the tRPC code beside each is what the API answers with. Clients switch on the reason, never
 * on the message.
 */
export const ERROR_REASONS = {
  INVALID_INPUT: 'BAD_REQUEST',
  STATE_INVALID: 'BAD_REQUEST',
  WEIBO_DENIED: 'BAD_REQUEST',
  WEIBO_CODE_INVALID: 'BAD_REQUEST',
  WEIBO_UNAVAILABLE: 'BAD_GATEWAY',
  TICKET_INVALID: 'BAD_REQUEST',
  BAD_CREDENTIALS: 'UNAUTHORIZED',
  TOO_MANY_ATTEMPTS: 'TOO_MANY_REQUESTS',
  ACCOUNT_TAKEN: 'CONFLICT',
  WEIBO_ALREADY_BOUND: 'CONFLICT',
  ACCOUNT_ALREADY_BOUND: 'CONFLICT',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  /** (2e) A genuine, unexpired state used from another browser than the one it was issued to. */
  BROWSER_MISMATCH: 'BAD_REQUEST',
  /** (2e) Weibo's 21321: the site's Weibo app is not yet approved and this Weibo account is not a test account. */
  WEIBO_APP_UNAUDITED: 'FORBIDDEN',
  /** (2e) Weibo's 10022, 10023, 10024: the site's request limits at Weibo were reached. */
  WEIBO_RATE_LIMITED: 'TOO_MANY_REQUESTS',
  /** (2e) Weibo refused the site's own configuration (21322, 21324, 21326, 21320): an operator must fix it. */
  WEIBO_MISCONFIGURED: 'SERVICE_UNAVAILABLE',
  /** (2e) weibo.register while WEIBO_SIGNUP=closed. */
  WEIBO_SIGNUP_CLOSED: 'FORBIDDEN',
  /** (2e) A re-authentication by another Weibo account than the bound one. */
  WEIBO_MISMATCH: 'FORBIDDEN',
  /** (2e) A sensitive action without the password or a re-authentication within 5 minutes. */
  REAUTH_REQUIRED: 'FORBIDDEN',
  /** (2e) Unbinding Weibo from an account that has no password: it would have no way in. */
  LAST_SIGN_IN_METHOD: 'CONFLICT',
  /** (2e) account.signOutDevice with an id that is not a live session of this account. */
  DEVICE_NOT_FOUND: 'NOT_FOUND',
  /** (2e) Signing in to an account an operator disabled. */
  ACCOUNT_DISABLED: 'FORBIDDEN',
  /** Added beyond the contract's table (see CHANGELOG): the database or another dependency is down. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** Added beyond the contract's table (see CHANGELOG): a bug; always logged with the request id. */
  INTERNAL: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorReason = keyof typeof ERROR_REASONS;
export type ErrorCode = (typeof ERROR_REASONS)[ErrorReason];
export const ERROR_REASON_LIST = Object.keys(ERROR_REASONS) as ErrorReason[];

export function isErrorReason(value: unknown): value is ErrorReason {
  return typeof value === 'string' && Object.hasOwn(ERROR_REASONS, value);
}

/** What the API puts in `error.data` beside tRPC's own fields. */
export interface ErrorData {
  reason: ErrorReason;
  /** Present with INVALID_INPUT: one entry per failing field. */
  issues?: { path: (string | number)[]; message: string }[];
  /** Present with TOO_MANY_ATTEMPTS: seconds until a password may be tried again. */
  retryAfterSeconds?: number;
  /** (2e) With TOO_MANY_ATTEMPTS, which bound refused: `failures` (wrong passwords), `in_flight`
   * (other sign-ins of the account still being checked), `busy` (the password checker's queue
   * is full), `rate` (too many requests of this kind from this address, or in total). */
  limit?: 'failures' | 'in_flight' | 'busy' | 'rate';
}
