/**
 * The site as its operator configured it (CONTRACT §3 `site.info`): its name, ICP number, where its
 * terms and privacy policy are, and whether Weibo may create accounts. Every page shows some of it,
 * so it is fetched at start with a plain GET (the tRPC wire format is plain JSON, §3) instead of
 * loading the tRPC client with the first page; the last answer is remembered, so a returning
 * visitor sees the name at once, and a first visit shows the frame without it for a moment.
 */
import { shallowRef } from 'vue';
import type { SiteInfo } from '@weibo-login/shared';
import { readStored, writeStored } from './storage.ts';

const STORAGE_KEY = 'weibo-login.site';
/** The built-in pages, which TERMS_URL and PRIVACY_URL default to. */
export const BUILT_IN_TERMS = '/terms';
export const BUILT_IN_PRIVACY = '/privacy';

function isSiteInfo(value: unknown): value is SiteInfo {
  const site = value as Partial<SiteInfo> | null;
  return (
    typeof site === 'object' &&
    site !== null &&
    typeof site.name === 'string' &&
    (site.icp === null || typeof site.icp === 'string') &&
    typeof site.termsUrl === 'string' &&
    typeof site.privacyUrl === 'string' &&
    (site.weiboSignup === 'open' || site.weiboSignup === 'closed')
  );
}

function remembered(): SiteInfo | null {
  try {
    const parsed: unknown = JSON.parse(readStored('local', STORAGE_KEY) ?? 'null');
    return isSiteInfo(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

export const siteInfo = shallowRef<SiteInfo | null>(remembered());

let loading: Promise<void> | null = null;

/** Fetches site.info once per page load; a failure leaves what was remembered. */
export function loadSiteInfo(): Promise<void> {
  loading ??= fetch('/trpc/site.info', { headers: { accept: 'application/json' } })
    .then(async (response) => {
      const body = (await response.json()) as { result?: { data?: unknown } };
      const info = body.result?.data;
      if (!response.ok || !isSiteInfo(info)) return;
      siteInfo.value = info;
      writeStored('local', STORAGE_KEY, JSON.stringify(info));
    })
    .catch(() => {
      // Offline or refused: the frame goes on without the name; the next page load asks again.
    });
  return loading;
}

/** A link of the site's: a path of this app (a router link) or another site's address. */
export function isInternalLink(href: string): boolean {
  return href.startsWith('/') && !href.startsWith('//');
}
