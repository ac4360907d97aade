import type { Generated } from 'kysely';

/** Password attempts inside the lockout window, counted per account, per address key and per pair.
 * A row is written before the password is checked (so parallel guesses count each other) and
 * removed again when the password was right. Swept when older than the window. */
export interface PasswordAttemptsTable {
  id: Generated<number>;
  account_key: string;
  ip: string;
  at: number;
  /** 0 while the password is being checked, 1 once it proved wrong. */
  failed: Generated<number>;
}
