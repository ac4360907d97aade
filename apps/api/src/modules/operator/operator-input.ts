/**
 * What the operator gives the services, checked, and how they refuse. Imports nothing, so that the
 * tool can check its arguments before it loads the rest (a usage error answers at once).
 */

/** auth_events.reason is a varchar(255): MySQL counts characters (code points). */
export const REASON_MAX_CHARS = 255;

/** Why the operator's request cannot be done: the tool says it in one line (exit 2 for
 * INVALID_INPUT, which is bad usage; 1 otherwise). */
export class OperatorError extends Error {
  readonly code: 'UNKNOWN_ACCOUNT' | 'INVALID_INPUT' | 'REFUSED';
  constructor(code: OperatorError['code'], message: string) {
    super(message);
    this.name = 'OperatorError';
    this.code = code;
  }
}

/** C0 and C1 control characters (a line break among them): a reason is one line the owner reads. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The reason every change needs: trimmed, one line, 1 to REASON_MAX_CHARS characters. */
export function requireReason(reason: string | undefined): string {
  const trimmed = reason?.trim() ?? '';
  if (!trimmed) throw new OperatorError('INVALID_INPUT', "a reason is required: --reason TEXT (the account's owner sees it)");
  if ([...trimmed].length > REASON_MAX_CHARS) {
    throw new OperatorError('INVALID_INPUT', `the reason is longer than ${REASON_MAX_CHARS} characters`);
  }
  if (CONTROL.test(trimmed)) throw new OperatorError('INVALID_INPUT', 'the reason must be one line of text, without control characters');
  return trimmed;
}
