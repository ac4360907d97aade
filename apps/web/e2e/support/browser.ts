/**
 * The browser side of the suite: Debian's Chromium driven by playwright-core, and the steps every
 * scenario repeats (a fresh Weibo user at the simulator, the consent page, screenshots).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AUTHORIZE_PATH,
  createSimulatorControl,
  MOBILE_AUTHORIZE_PATH,
  type SimUser,
  type SimulatorControl,
} from '@weibo-login/weibo-sim/control';
import { CHROMIUM_PATH, launchChromium } from '@weibo-login/test-support/chromium';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect, inject } from 'vitest';

export { CHROMIUM_PATH };

/** The committed screenshots are refreshed only on request (SCREENSHOTS=1), so that an ordinary
 * test run leaves the work tree as it found it; otherwise they go to a temporary folder. */
export const SCREENSHOT_DIR =
  process.env.SCREENSHOTS === '1'
    ? path.resolve(import.meta.dirname, '../../../../docs/screenshots')
    : path.join(os.tmpdir(), 'weibo-login-screenshots');
export const WIDTHS = [375, 1280] as const;
export type Width = (typeof WIDTHS)[number];

/** Phones as the sites see them: Safari on an iPhone, and WeChat's own browser on one. */
export const PHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
export const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN';

/** Debian's Chromium (@weibo-login/test-support's launcher). */
export const launchBrowser = (): Promise<Browser> => launchChromium();

export interface Visitor {
  context: BrowserContext;
  page: Page;
  /** Console errors and dialogs seen so far; a scenario ends by expecting none. */
  problems: string[];
}

export interface VisitorOptions {
  /** A phone: 375 px wide, touch, this User-Agent. */
  phone?: { userAgent: string };
  colorScheme?: 'light' | 'dark';
}

/**
 * The APIs run behind a proxy, as in production (TRUST_PROXY=127.0.0.1, global-setup.ts), and each
 * person reaches them from an address of their own (198.18.0.0/15, the benchmarking range), named
 * in X-Forwarded-For: the per-address bounds (registrations, Weibo calls…) then count people, as
 * they would in the field, instead of the whole suite as one address.
 */
const addressBlock = Math.floor(Math.random() * 250);
let addresses = 0;
export function nextAddress(): string {
  addresses += 1;
  return `198.18.${addressBlock}.${addresses % 250}`;
}

/** One person with their own browser profile (cookies, storage) and address: a 1280 px window, or a phone. */
export async function newVisitor(browser: Browser, options: VisitorOptions = {}): Promise<Visitor> {
  const context = await browser.newContext({
    locale: 'zh-CN',
    extraHTTPHeaders: { 'X-Forwarded-For': nextAddress() },
    colorScheme: options.colorScheme ?? 'light',
    acceptDownloads: true,
    ...(options.phone
      ? { viewport: { width: 375, height: 740 }, userAgent: options.phone.userAgent, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }
      : { viewport: { width: 1280, height: 800 } }),
  });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // Failed API calls are logged by the browser as resource errors; the page shows them itself.
    // Any other origin's (Weibo's pages, its icon) are problems.
    const ours = [url('/'), url('/', 'alt')].some((origin) => message.location().url.startsWith(origin));
    if (!(ours && /status of (4\d\d|50[23])/.test(message.text()))) problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  return { context, page, problems };
}

export function url(pathname: string, site: 'main' | 'alt' = 'main'): string {
  return `${inject(site === 'main' ? 'baseUrl' : 'altUrl')}${pathname}`;
}

let counter = 0;
/** An account name no other scenario uses: 3–32 letters, digits, "_", "." or "-". */
export function uniqueAccount(prefix: string): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}${counter}`.slice(0, 32);
}

export type { SimUser };

/** The simulator's control API (the simulator global-setup.ts started). */
export const weiboSim = (): SimulatorControl => createSimulatorControl(inject('simUrl'));

/** A Weibo user that exists only for this scenario. */
export const createWeiboUser = (screenName: string): Promise<SimUser> => weiboSim().createUser({ screenName });

/** An account with a password, made straight through the API (plain JSON over HTTP). Registering
 * signs in, so that session is signed out again: the account starts with no device. */
export async function createAccount(account: string, password: string, site: 'main' | 'alt' = 'main'): Promise<void> {
  const response = await fetch(url('/trpc/auth.register', site), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': nextAddress() },
    body: JSON.stringify({ account, password }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  const { result } = (await response.json()) as { result: { data: { session: { token: string } } } };
  const logout = await fetch(url('/trpc/auth.logout', site), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${result.data.session.token}`, 'x-forwarded-for': nextAddress() },
    body: '{}',
  });
  expect(logout.status, await logout.clone().text()).toBe(200);
}

/** Whether an address is one of the simulator's two authorize pages (desktop, or the phone page). */
export function atWeiboAuthorize(address: URL): boolean {
  const sim = new URL(inject('simUrl'));
  return address.origin === sim.origin && (address.pathname === AUTHORIZE_PATH || address.pathname === MOBILE_AUTHORIZE_PATH);
}

/** On the simulator's consent page (either one): pick the Weibo user and press "授权" (or "取消"),
 * then wait to be back on the site (`site`). */
export async function decideAtWeibo(page: Page, decision: { approveAs: SimUser } | 'cancel', site: 'main' | 'alt' = 'main'): Promise<void> {
  await page.waitForURL(atWeiboAuthorize);
  if (decision === 'cancel') {
    await page.getByRole('button', { name: '取消' }).click();
  } else {
    await page.locator(`input[name="uid"][value="${decision.approveAs.uid}"]`).check();
    await page.getByRole('button', { name: '授权' }).click();
  }
  await page.waitForURL((address) => address.href.startsWith(url('/', site)));
}

/** Full-page screenshots, e.g. docs/screenshots/login-375.png and login-1280.png. A phone visitor
 * is shot at its own width only. */
export async function screenshots(page: Page, name: string, widths: readonly Width[] = WIDTHS): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const original = page.viewportSize();
  for (const width of widths) {
    await page.setViewportSize({ width, height: width === 375 ? 740 : 800 });
    await page.evaluate(() => document.fonts.ready);
    // Avatars come from Weibo's (the simulator's) image host: shoot them loaded, or failed.
    await page.waitForFunction(() => [...document.images].every((image) => image.complete));
    await page.screenshot({
      path: path.join(SCREENSHOT_DIR, `${name}-${width}.png`),
      fullPage: true,
      animations: 'disabled',
      caret: 'hide',
    });
  }
  if (original) await page.setViewportSize(original);
}

/** Follows a Weibo sign-in from a page with the Weibo button through the consent page. */
export async function weiboSignIn(page: Page, weiboUser: SimUser, site: 'main' | 'alt' = 'main'): Promise<void> {
  await page.getByTestId('weibo-login-button').first().click();
  await decideAtWeibo(page, { approveAs: weiboUser }, site);
}

/** The WCAG contrast ratio of two CSS colours as the browser computed them ("rgb(…)"). */
export function contrastRatio(first: string, second: string): number {
  const luminance = (color: string) => {
    const [r, g, b] = (color.match(/[\d.]+/g) ?? []).slice(0, 3).map((channel) => {
      const value = Number(channel) / 255;
      return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [light, dark] = [luminance(first), luminance(second)].sort((a, b) => b - a);
  return (light! + 0.05) / (dark! + 0.05);
}
