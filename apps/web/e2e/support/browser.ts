/**
 * The browser side of the suite: Debian's Chromium driven by playwright-core, and the steps every
 * scenario repeats (a fresh Weibo user at the simulator, the consent page, screenshots).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSimulatorControl, type SimUser, type SimulatorControl } from '@weibo-login/weibo-sim/control';
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

/** Debian's Chromium (@weibo-login/test-support's launcher). */
export const launchBrowser = (): Promise<Browser> => launchChromium();

export interface Visitor {
  context: BrowserContext;
  page: Page;
  /** Console errors and dialogs seen so far; a scenario ends by expecting none. */
  problems: string[];
}

/** One person with their own browser profile (cookies, storage), looking at a 1280 px window. */
export async function newVisitor(browser: Browser): Promise<Visitor> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
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
    // Failed API calls are logged by the browser as resource errors; the page shows them itself.
    if (message.type() === 'error' && !/status of (4\d\d|502)/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  return { context, page, problems };
}

export function url(pathname: string): string {
  return `${inject('baseUrl')}${pathname}`;
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

/** An account with a password, made straight through the API (plain JSON over HTTP). */
export async function createAccount(account: string, password: string): Promise<void> {
  const response = await fetch(url('/trpc/auth.register'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ account, password }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

/** On the simulator's consent page: pick the Weibo user and press "授权" (or "取消"). */
export async function decideAtWeibo(page: Page, decision: { approveAs: SimUser } | 'cancel'): Promise<void> {
  await page.waitForURL((address) => address.href.startsWith(`${inject('simUrl')}/oauth2/authorize`));
  if (decision === 'cancel') {
    await page.getByRole('button', { name: '取消' }).click();
  } else {
    await page.locator(`input[name="uid"][value="${decision.approveAs.uid}"]`).check();
    await page.getByRole('button', { name: '授权' }).click();
  }
  await page.waitForURL((address) => address.href.startsWith(url('/')));
}

/** Full-page screenshots at 375 and 1280 px, e.g. docs/screenshots/login-375.png. */
export async function screenshots(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    await page.evaluate(() => document.fonts.ready);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-${width}.png`), fullPage: true, animations: 'disabled' });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}
