/**
 * The field checks (lib/validation.ts) use the shared zod schemas, and zod is the largest
 * library in the app. The sign-in page therefore loads them only once the user starts on a form
 * (first focus), which is well before the first submit needs them.
 */
export type ValidationModule = typeof import('./validation.ts');

let loading: Promise<ValidationModule> | null = null;

export function loadValidation(): Promise<ValidationModule> {
  loading ??= import('./validation.ts');
  return loading;
}
