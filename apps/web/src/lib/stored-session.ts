/**
 * The signed-in session as the browser keeps it. localStorage, so that the token survives a
 * reload and is shared by the tabs of this origin; a shallowRef, so that views react when it is
 * set or dropped. Only src/lib/trpc.ts and src/composables/useSession.ts touch it.
 */
import { shallowRef } from 'vue';
import { readStored, removeStored, writeStored } from './storage.ts';

export interface StoredSession {
  token: string;
  expiresAt: string;
}

const STORAGE_KEY = 'weibo-login.session';

function isLive(session: StoredSession, now = Date.now()): boolean {
  const expiresAt = Date.parse(session.expiresAt);
  return Number.isFinite(expiresAt) && expiresAt > now;
}

function read(): StoredSession | null {
  const raw = readStored('local', STORAGE_KEY);
  if (!raw) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as StoredSession).token === 'string' &&
      typeof (parsed as StoredSession).expiresAt === 'string' &&
      isLive(parsed as StoredSession)
    ) {
      return { token: (parsed as StoredSession).token, expiresAt: (parsed as StoredSession).expiresAt };
    }
  } catch {
    // Corrupt: behave as signed out rather than fail to start.
  }
  removeStored('local', STORAGE_KEY);
  return null;
}

export const storedSession = shallowRef<StoredSession | null>(read());

export function saveSession(session: StoredSession): void {
  storedSession.value = { token: session.token, expiresAt: session.expiresAt };
  // Private mode without storage: the session still lasts for this page.
  writeStored('local', STORAGE_KEY, JSON.stringify(storedSession.value));
}

export function dropSession(): void {
  storedSession.value = null;
  removeStored('local', STORAGE_KEY);
}

/** The token to send, or null when there is none or it has expired on the client's clock. */
export function currentToken(): string | null {
  const session = storedSession.value;
  if (!session) return null;
  if (!isLive(session)) {
    dropSession();
    return null;
  }
  return session.token;
}

/** Another tab signing in or out changes this one too. */
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    if (event.key === STORAGE_KEY || event.key === null) storedSession.value = read();
  });
}
