/** English on request, remembered; dark mode; contrast, target sizes; and a sign-in page that stays light. */
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  contrastRatio,
  createAccount,
  createWeiboUser,
  launchBrowser,
  newVisitor,
  screenshots,
  uniqueAccount,
  url,
  weiboSignIn,
} from './support/browser.ts';
import { SITE_NAME } from './support/sites.ts';

/** CONTRACT-level budget of this project for the JavaScript of the sign-in page, gzip. */
const LOGIN_PAGE_JS_BUDGET_BYTES = 60 * 1000;
const PASSWORD = 'correct horse battery';

/** Colours as the browser computed them on the sign-in page: a field's border and the card behind
 * it, the focus ring, and a focused field with a problem. */
async function controlColours(page: Page) {
  await page.locator('#login-account').focus();
  const colours = await page.evaluate(() => {
    const card = getComputedStyle(document.querySelector('.card')!).backgroundColor;
    const input = getComputedStyle(document.querySelector('#login-account')!);
    return {
      card,
      border: input.borderTopColor,
      focus: input.outlineColor,
      page: getComputedStyle(document.documentElement).backgroundColor,
    };
  });
  await page.getByRole('button', { name: /^(登录|Sign in)$/ }).click();
  await page.locator('#login-account[aria-invalid="true"]').waitFor();
  const invalid = await page.evaluate(() => {
    const input = document.querySelector('#login-account')!;
    const style = getComputedStyle(input);
    return { focused: input === document.activeElement, border: style.borderTopColor, outline: style.outlineColor };
  });
  return { ...colours, invalid };
}

describe.skipIf(inject('skipReason') !== '')('language, colours and weight in a browser', () => {
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
    expect(await page.title()).toBe(`Sign in · ${SITE_NAME}`);

    await page.locator('#login-account').fill('someone');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('Enter your password').waitFor();
    await screenshots(page, 'login-en');

    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await screenshots(page, 'register-en');

    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { name: '注册新账号' }).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('reads as English on the Weibo return and the account page', async () => {
    const weiboUser = await createWeiboUser('Lin Xiaonuan');
    const account = uniqueAccount('en');
    await createAccount(account, PASSWORD);
    const { context, page, problems } = await newVisitor(browser);
    await page.goto(url('/login'));
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await weiboSignIn(page, weiboUser);
    await page.getByRole('heading', { name: 'One more step' }).waitFor();
    await page.getByRole('button', { name: 'Not you? Use another Weibo account' }).waitFor();
    await screenshots(page, 'weibo-bind-en');

    await page.getByRole('radio', { name: 'Link an existing account' }).check();
    await page.locator('#bind-account').fill(account);
    await page.locator('#bind-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Link and sign in' }).click();
    await page.getByRole('heading', { name: 'Account and security' }).waitFor();
    await page.getByRole('button', { name: 'Unlink Weibo' }).waitFor();
    await page.getByText('Weibo linked', { exact: true }).waitFor();
    expect(await page.title()).toBe(`Account and security · ${SITE_NAME}`);
    await screenshots(page, 'home-en');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('follows the system’s dark mode, with controls and focus that stand out', async () => {
    const weiboUser = await createWeiboUser('夜间模式');
    const { context, page, problems } = await newVisitor(browser, { colorScheme: 'dark' });
    await page.goto(url('/login'));
    await page.getByRole('heading', { name: '登录' }).waitFor();
    await screenshots(page, 'login-dark');
    const dark = await controlColours(page);
    expect(contrastRatio(dark.page, 'rgb(0, 0, 0)')).toBeLessThan(1.5);
    expect(contrastRatio(dark.border, dark.card)).toBeGreaterThanOrEqual(3);
    expect(contrastRatio(dark.focus, dark.card)).toBeGreaterThanOrEqual(3);
    expect(dark.invalid.focused).toBe(true);
    expect(dark.invalid.outline).toBe(dark.invalid.border);
    expect(contrastRatio(dark.invalid.outline, dark.card)).toBeGreaterThanOrEqual(3);
    await screenshots(page, 'login-dark-invalid');

    await weiboSignIn(page, weiboUser);
    await page.getByRole('heading', { name: '还差一步' }).waitFor();
    await screenshots(page, 'weibo-bind-dark');
    await page.getByTestId('consent').check();
    await page.getByRole('button', { name: '用微博账号直接注册' }).click();
    await page.getByTestId('account-name').waitFor();
    await screenshots(page, 'home-dark');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('has controls and focus that stand out in the light too, and a language switch a finger can hit', async () => {
    const { context, page, problems } = await newVisitor(browser);
    await page.goto(url('/login'));
    await page.getByRole('heading', { name: '登录' }).waitFor();
    const light = await controlColours(page);
    expect(contrastRatio(light.page, 'rgb(255, 255, 255)')).toBeLessThan(1.2);
    expect(contrastRatio(light.border, light.card)).toBeGreaterThanOrEqual(3);
    expect(contrastRatio(light.focus, light.card)).toBeGreaterThanOrEqual(3);
    expect(light.invalid.focused).toBe(true);
    expect(light.invalid.outline).toBe(light.invalid.border);
    expect(contrastRatio(light.invalid.outline, light.card)).toBeGreaterThanOrEqual(3);
    for (const name of ['中文', 'English']) {
      const box = await page.getByRole('button', { name, exact: true }).boundingBox();
      expect(box!.height, name).toBeGreaterThanOrEqual(44);
      expect(box!.width, name).toBeGreaterThanOrEqual(44);
    }
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
