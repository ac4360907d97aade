/**
 * The tRPC client (lib/trpc.ts) is loaded on first use rather than with the page: the sign-in
 * page calls the API only once the user acts, and the client is a sixth of the JavaScript that
 * page would otherwise load. `preloadApi` starts the download on a first sign of intent (focus,
 * pointer) so the click itself does not wait for it.
 */
export type Api = (typeof import('./trpc.ts'))['api'];

let loading: Promise<Api> | null = null;

export function loadApi(): Promise<Api> {
  loading ??= import('./trpc.ts').then((module) => module.api);
  return loading;
}

export function preloadApi(): void {
  void loadApi().catch(() => {
    // A failed download is retried by the next real call.
    loading = null;
  });
}
