import { z } from 'zod';
import { isInAppPath } from './paths.ts';

/** Accounts: 3–32 letters (any script), digits, `_`, `.`, `-`; NFC-normalised so that the same
 * name typed on two keyboards is one account. */
export const ACCOUNT_PATTERN = /^[\p{L}\p{Nd}_.-]{3,32}$/u;
/** (2e) New account names are ASCII, compared without case, so that no two names look alike;
 * accounts made before with other letters keep signing in under ACCOUNT_PATTERN. */
export const NEW_ACCOUNT_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;
export const PASSWORD_MIN_BYTES = 8;
/** bcrypt reads 72 bytes and ignores the rest: longer passwords are refused, never cut. */
export const PASSWORD_MAX_BYTES = 72;

const utf8 = new TextEncoder();
export const utf8Length = (s: string): number => utf8.encode(s).length;

export const accountSchema = z
  .string()
  .trim()
  .transform((s) => s.normalize('NFC'))
  .pipe(z.string().regex(ACCOUNT_PATTERN, 'Account: 3 to 32 letters, digits, "_", "." or "-"'));

/** The name of an account being created. */
export const newAccountSchema = z
  .string()
  .trim()
  .pipe(z.string().regex(NEW_ACCOUNT_PATTERN, 'Account: 3 to 32 letters a–z, digits, "_", "." or "-"'));

export const passwordSchema = z
  .string()
  .refine((s) => utf8Length(s) >= PASSWORD_MIN_BYTES, `Password: at least ${PASSWORD_MIN_BYTES} bytes`)
  .refine((s) => utf8Length(s) <= PASSWORD_MAX_BYTES, `Password: at most ${PASSWORD_MAX_BYTES} bytes (UTF-8)`);

/** See paths.ts: the rule lives there so that code without zod can apply it too. */
export const redirectToSchema = z.string().refine(isInAppPath, 'redirectTo must be a path inside this app, starting with a single "/"');

/** Opaque strings the client only hands back; bounded so nothing huge reaches a query. */
const opaque = (max: number) => z.string().min(1).max(max);
export const codeSchema = opaque(256);
export const stateSchema = opaque(256);
export const ticketSchema = opaque(4096);
