/**
 * The one rule for `redirectTo`: an in-app path, one leading `/`, not `//` or `/\` (which
 * browsers take as another host) even once percent-decoded, no whitespace or
 * control characters, at most 512 characters. Anything else is refused, not repaired.
 *
 * Plain code without zod, on its own subpath (`@weibo-login/shared/paths`), so the web app's
 * sign-in page can apply it without loading the schema library.
 */
const IN_APP_PATH = /^\/(?![/\\])[^\s\\]*$/;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
export const REDIRECT_MAX_LENGTH = 512;

export function isInAppPath(value: string): boolean {
  return value.length <= REDIRECT_MAX_LENGTH && IN_APP_PATH.test(value) && staysInAppWhenDecoded(value) && !CONTROL_CHARACTERS.test(value);
}

/** Whether a link starts as a path of this site, read as a browser reads it: tabs and newlines
 * anywhere are dropped, and `//` or `/\` begins another host. */
const startsInApp = (s: string): boolean => /^\/(?![/\\])/.test(s.replace(/[\t\n\r]/g, ''));

/** Every percent-decoding of the value (a router or server may decode once or more, leniently,
 * before following it): `/%2F/x`, `/%5Cx` and `/%09/x` are another host once decoded. Decoded
 * byte by byte, which is exact for the ASCII that decides where a link goes. */
function staysInAppWhenDecoded(value: string): boolean {
  for (let current = value; ;) {
    const decoded = current.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    if (decoded === current) return true;
    if (!startsInApp(decoded)) return false;
    current = decoded;
  }
}
