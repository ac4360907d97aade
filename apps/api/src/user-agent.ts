/**
 * What a request's User-Agent says about the device, parsed with ua-parser-js (version 1, MIT):
 * whether Weibo's phone page suits it. The in-app browsers' markers come from
 * @weibo-login/shared/user-agent, which the web app uses too; ua-parser-js knows WeChat, Weibo and
 * Alipay but not QQ's or DingTalk's app.
 */
import { inAppBrowserOf } from '@weibo-login/shared/user-agent';
import { UAParser } from 'ua-parser-js';

/** Phones, tablets and every in-app browser get Weibo's page for phones (display=mobile). */
export function prefersMobilePage(userAgent: string | null): boolean {
  if (!userAgent) return false;
  if (inAppBrowserOf(userAgent)) return true;
  const type = new UAParser(userAgent).getDevice().type;
  return type === 'mobile' || type === 'tablet';
}
