/** English on request, remembered; and a sign-in page that stays light. */
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser, newVisitor, screenshots, url } from './support/browser.ts';

/** CONTRACT-level budget of this project for the JavaScript of the sign-in page, gzip. */
const LOGIN_PAGE_JS_BUDGET_BYTES = 60 * 1000;

describe.skipIf(inject('skipReason') !== '')('language and weight in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('switches to English and remembers it', async () => {
    const { context, page, problems } = await newVisitor(browser);
    await page.goto(url('/login'));
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByTestId('weibo-login-button').textContent()).toContain('Sign in with Weibo');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    expect(await page.title()).toBe('Sign in · Account Center');

    await page.locator('#login-account').fill('someone');
    await page.locator('#login-password').fill('short');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('The password needs at least 8 characters').waitFor();
    await screenshots(page, 'login-en');

    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('link', { name: 'Create one' }).click();
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();

    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { name: '注册新账号' }).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('loads at most 60 KB of gzip JavaScript for the sign-in page', async () => {
    const { context, page, problems } = await newVisitor(browser);
    const scripts = new Map<string, number>();
    page.on('response', async (response) => {
      if (response.request().resourceType() !== 'script') return;
      const body = await response.body();
      scripts.set(response.url(), zlib.gzipSync(body).length);
    });
    await page.goto(url('/login'), { waitUntil: 'networkidle' });
    await page.getByTestId('weibo-login-button').waitFor();
    const total = [...scripts.values()].reduce((sum, size) => sum + size, 0);
    console.log(`sign-in page JavaScript: ${(total / 1000).toFixed(1)} kB gzip in ${scripts.size} files`);
    for (const [name, size] of scripts) console.log(`  ${(size / 1000).toFixed(1)} kB ${name}`);
    expect(total).toBeLessThanOrEqual(LOGIN_PAGE_JS_BUDGET_BYTES);
    expect(problems).toEqual([]);
    await context.close();
  });
});
