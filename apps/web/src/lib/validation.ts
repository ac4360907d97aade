/**
 * Client-side checks of the account/password fields with the very schemas the API uses
 * (@weibo-login/shared), so a message shown here is never contradicted by the server.
 * Returns message keys, not text, so the messages follow a language switch.
 */
import { accountSchema, newAccountSchema, passwordSchema, utf8Length, PASSWORD_MIN_BYTES } from '@weibo-login/shared';

export interface Credentials {
  account: string;
  password: string;
}

export type CredentialField = 'account' | 'password';
export type FieldErrors = Partial<Record<CredentialField, string>>;

/** `creating`: a new account's name must be ASCII (CONTRACT §3, 2e); older names still sign in. */
export function accountError(account: string, creating = false): string | undefined {
  if (account.trim() === '') return 'validation.accountRequired';
  return (creating ? newAccountSchema : accountSchema).safeParse(account).success ? undefined : 'validation.accountFormat';
}

export function passwordError(password: string): string | undefined {
  if (password === '') return 'validation.passwordRequired';
  if (passwordSchema.safeParse(password).success) return undefined;
  return utf8Length(password) < PASSWORD_MIN_BYTES ? 'validation.passwordTooShort' : 'validation.passwordTooLong';
}

export function credentialErrors(credentials: { account: string; password: string }, creating = false): FieldErrors {
  const errors: FieldErrors = {};
  const account = accountError(credentials.account, creating);
  const password = passwordError(credentials.password);
  if (account) errors.account = account;
  if (password) errors.password = password;
  return errors;
}
