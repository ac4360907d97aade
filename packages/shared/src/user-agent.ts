/**
 * The apps whose own browsers people sign in from (shared/reference/china-login.md §1), by the
 * markers they put in the User-Agent. In these browsers cookies and storage may not survive the
 * trip to Weibo, and Weibo's app may hand the return to the system browser: the API sends them to
 * Weibo's phone page, and the web app says how to open the page in the system browser.
 *
 * Plain code without zod, on its own subpath (`@weibo-login/shared/user-agent`): the web app's
 * login page uses it without loading a UA parser. Checked in this order: WeChat's and Weibo's
 * browsers also carry phone markers, and QQ's app carries "MQQBrowser" as QQ's browser does.
 */
export const IN_APP_BROWSERS = ['wechat', 'weibo', 'qq', 'alipay', 'dingtalk'] as const;
export type InAppBrowser = (typeof IN_APP_BROWSERS)[number];

const MARKERS: readonly (readonly [InAppBrowser, RegExp])[] = [
  ['wechat', /MicroMessenger\//i],
  ['weibo', /__weibo__|\bWeibo\b/i],
  // QQ's app says " QQ/8.9…"; QQ's browser alone ("MQQBrowser/") is an ordinary browser.
  ['qq', /\sQQ\/\d/],
  ['alipay', /AlipayClient\//i],
  ['dingtalk', /DingTalk/i],
];

/** Which app's own browser this is, or null for an ordinary browser. */
export function inAppBrowserOf(userAgent: string | null | undefined): InAppBrowser | null {
  if (!userAgent) return null;
  for (const [app, marker] of MARKERS) if (marker.test(userAgent)) return app;
  return null;
}
