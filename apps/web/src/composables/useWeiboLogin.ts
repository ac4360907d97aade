/**
 * Leaving for Weibo: the authorize URL from the API (which also sets the state cookie), then the
 * browser goes there. The API picks Weibo's phone page for a phone or an in-app browser from the
 * User-Agent, and keeps the trip's intent and destination in its state row: nothing about the
 * trip is kept in the browser (CONTRACT §3, 2e). The way back is useWeiboReturn.ts.
 */
import type { OAuthIntent } from '@weibo-login/shared';
import { loadApi } from '../lib/load-api.ts';

export type WeiboIntent = OAuthIntent;

export interface WeiboStart {
  intent: WeiboIntent;
  redirectTo?: string | undefined;
  /** Weibo asks for a fresh sign-in ("不是你？换个微博账号"); connect and reauth always do. */
  forceLogin?: boolean;
}

export function useWeiboLogin() {
  /** Sends the browser to Weibo; resolves only if it could not (the error is the caller's). */
  async function start(options: WeiboStart): Promise<void> {
    const api = await loadApi();
    const { url } = await api.weibo.authorizeUrl.query({
      intent: options.intent,
      ...(options.redirectTo ? { redirectTo: options.redirectTo } : {}),
      ...(options.forceLogin ? { forceLogin: true } : {}),
    });
    window.location.assign(url);
  }

  return { start };
}
