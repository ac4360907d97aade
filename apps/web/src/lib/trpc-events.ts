/**
 * "The API says this session is gone", told by lib/trpc.ts to whoever listens (the router).
 * Kept apart from the client so that the router does not pull the client into the first chunk.
 */
type UnauthenticatedListener = () => void;
const listeners = new Set<UnauthenticatedListener>();

export function onUnauthenticated(listener: UnauthenticatedListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function notifyUnauthenticated(): void {
  for (const listener of listeners) listener();
}
