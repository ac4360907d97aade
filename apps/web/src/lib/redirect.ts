/**
 * The `redirect` query of /login: kept only if it is a path of this app, so it survives the Weibo
 * round trip and can never send the user to another site. Anything else is dropped, not repaired.
 *
 * This is the rule of `redirectToSchema` in @weibo-login/shared (which the API applies to
 * redirectTo), written without zod so the sign-in page does not load it; test/redirect.test.ts
 * checks that both agree.
 */
const IN_APP_PATH = /^\/(?![/\\])[^\s\\]*$/;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export function isInAppPath(value: string): boolean {
  return (
    value.length <= 512 &&
    IN_APP_PATH.test(value) &&
    !/%2f|%5c/i.test(value.slice(0, 4)) &&
    !CONTROL_CHARACTERS.test(value)
  );
}

export function safeRedirect(value: unknown): string | undefined {
  const candidate = Array.isArray(value) ? value[0] : value;
  return typeof candidate === 'string' && isInAppPath(candidate) ? candidate : undefined;
}
