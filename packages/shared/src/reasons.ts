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
