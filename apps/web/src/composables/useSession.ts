/**
 * The browser's session: whether we are signed in, and the actions that change it. The token
 * itself is kept by lib/stored-session.ts and sent by lib/trpc.ts; views never see it.
 */
import { computed } from 'vue';
import type { SignedIn } from '@weibo-login/shared';
import { loadApi } from '../lib/load-api.ts';
import { dropSession, saveSession, storedSession } from '../lib/stored-session.ts';
import type { Credentials } from '../lib/validation.ts';

/** Keeps the session of any SignedIn answer (password, Weibo, bind or register). */
export function adoptSignedIn(result: SignedIn): void {
  saveSession(result.session);
}

export function useSession() {
  const isSignedIn = computed(() => storedSession.value !== null);

  async function signIn(credentials: Credentials): Promise<SignedIn> {
    const api = await loadApi();
    const result = await api.auth.login.mutate(credentials);
    adoptSignedIn(result);
    return result;
  }

  async function register(credentials: Credentials): Promise<SignedIn> {
    const api = await loadApi();
    const result = await api.auth.register.mutate(credentials);
    adoptSignedIn(result);
    return result;
  }

  /** The token is dropped even if the API cannot be reached: the user asked to leave. */
  async function signOut(options: { everywhere?: boolean } = {}): Promise<void> {
    try {
      const api = await loadApi();
      await api.auth.logout.mutate({ everywhere: options.everywhere ?? false });
    } finally {
      dropSession();
    }
  }

  return { isSignedIn, signIn, register, signOut };
}
