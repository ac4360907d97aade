/**
 * The `redirect` query of /login: kept only if it is a path of this app (the shared rule that the
 * API applies to redirectTo), so it survives the Weibo round trip and can never send the user to
 * another site. Anything else is dropped, not repaired.
 */
import { isInAppPath } from '@weibo-login/shared/paths';

export function safeRedirect(value: unknown): string | undefined {
  const candidate = Array.isArray(value) ? value[0] : value;
  return typeof candidate === 'string' && isInAppPath(candidate) ? candidate : undefined;
}
