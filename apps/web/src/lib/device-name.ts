/**
 * A device as people name it, from a session's or an event's User-Agent: "Chrome · Windows",
 * "微博 App · iPhone". A dozen ordered tests, not a UA parser library: the account page needs the
 * browser (or the app whose browser it is) and the system, nothing finer. The API stores the raw
 * User-Agent; the names are translated by the account page (devices.names.*).
 */
import { inAppBrowserOf, type InAppBrowser } from '@weibo-login/shared/user-agent';

export type BrowserKind =
  InAppBrowser | 'edge' | 'opera' | 'samsung' | 'qqBrowser' | 'ucBrowser' | 'firefox' | 'chrome' | 'safari' | 'other';
export type SystemKind = 'iphone' | 'ipad' | 'android' | 'harmony' | 'windows' | 'macos' | 'chromeos' | 'linux';

export interface DeviceKind {
  browser: BrowserKind;
  system: SystemKind | null;
}

/** First match wins: Edge, Opera and the Chinese browsers also say "Chrome", and Chrome (or HeadlessChrome) says "Safari". */
const BROWSERS: readonly (readonly [Exclude<BrowserKind, InAppBrowser | 'other'>, RegExp])[] = [
  ['edge', /\bEdg(?:e|A|iOS)?\//],
  ['opera', /\bOPR\/|\bOpera\b/],
  ['samsung', /\bSamsungBrowser\//],
  ['qqBrowser', /\bM?QQBrowser\//],
  ['ucBrowser', /\bUC ?Browser\//i],
  ['firefox', /\bFirefox\/|\bFxiOS\//],
  ['chrome', /Chrome\/|\bCriOS\//],
  ['safari', /\bVersion\/[\d.]+.*\bSafari\//],
];

/** iPad before macOS (iPadOS can say "Macintosh" only with touch, which a UA cannot tell: it is a Mac then). */
const SYSTEMS: readonly (readonly [SystemKind, RegExp])[] = [
  ['iphone', /\biPhone\b|\biPod\b/],
  ['ipad', /\biPad\b/],
  ['harmony', /\bHarmonyOS\b|\bOpenHarmony\b/],
  ['android', /\bAndroid\b/],
  ['windows', /\bWindows\b/],
  ['macos', /\bMac OS X\b|\bMacintosh\b/],
  ['chromeos', /\bCrOS\b/],
  ['linux', /\bLinux\b/],
];

/** null when there is no User-Agent to read. */
export function deviceKindOf(userAgent: string | null | undefined): DeviceKind | null {
  if (!userAgent) return null;
  const browser = inAppBrowserOf(userAgent) ?? BROWSERS.find(([, marker]) => marker.test(userAgent))?.[0] ?? 'other';
  const system = SYSTEMS.find(([, marker]) => marker.test(userAgent))?.[0] ?? null;
  return { browser, system };
}
