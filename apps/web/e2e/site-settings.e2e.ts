/**
 * The second site (global-setup.ts): its Weibo app is still under Weibo's review, Weibo may not
 * create accounts there (WEIBO_SIGNUP=closed), and it shows an ICP number. Weibo's refusals each
 * lead somewhere: the review, the site's quota at Weibo.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  createAccount,
  createWeiboUser,
  launchBrowser,
  newVisitor,
  screenshots,
  uniqueAccount,
  url,
  weiboSignIn,
  weiboSim,
} from './support/browser.ts';
import { ALT_SITE_ICP, SITE_NAME } from './support/sites.ts';

const PASSWORD = 'correct horse battery';

describe.skipIf(inject('skipReason') !== '')('a site under Weibo review, with Weibo sign-up closed and an ICP number', () => {
  let browser: Browser;
  const altApp = () => inject('altClientId');
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await weiboSim().updateApp(altApp(), { testUids: [], rateLimits: null });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows its name, and its ICP number linked to the ministry’s register, on every page', async () => {
    const { context, page, problems } = await newVisitor(browser);
    await page.goto(url('/login', 'alt'));
    await page.getByTestId('footer-icp').waitFor();
    expect(await page.getByTestId('site-name').textContent()).toBe(SITE_NAME);
    expect(await page.title()).toBe(`登录 · ${SITE_NAME}`);
    const icp = page.getByTestId('footer-icp');
    expect(await icp.textContent()).toBe(ALT_SITE_ICP);
    expect(await icp.getAttribute('href')).toBe('https://beian.miit.gov.cn/');
    await screenshots(page, 'login-with-icp');
    await page.goto(url('/privacy', 'alt'));
    await page.getByRole('heading', { name: '隐私政策' }).waitFor();
    expect(await page.getByTestId('footer-icp').textContent()).toBe(ALT_SITE_ICP);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('says the site’s Weibo sign-in is still under review, and leads to the password', async () => {
    const weiboUser = await createWeiboUser('不是测试账号');
    const { context, page, problems } = await newVisitor(browser);
    await page.goto(url('/login', 'alt'));
    await weiboSignIn(page, weiboUser, 'alt');
    await page.getByRole('heading', { name: '本站的微博登录正在审核中' }).waitFor();
    expect(await page.getByTestId('weibo-problem').getAttribute('data-reason')).toBe('WEIBO_APP_UNAUDITED');
    expect(await page.getByRole('alert').textContent()).toContain('请先用账号密码登录');
    expect(await page.getByTestId('weibo-login-button').count()).toBe(0);
    await screenshots(page, 'weibo-unaudited');
    await page.getByRole('link', { name: '用账号密码登录' }).click();
    await page.waitForURL(url('/login', 'alt'));
    expect(problems).toEqual([]);
    await context.close();
  });

  it('says when the site has reached Weibo’s limits, and offers Weibo later or the password now', async () => {
    const weiboUser = await createWeiboUser('赶上限流');
    await weiboSim().updateApp(altApp(), { testUids: [weiboUser.uid], rateLimits: { perUserPerHour: 0 } });
    const { context, page, problems } = await newVisitor(browser);
    await page.goto(url('/login', 'alt'));
    await weiboSignIn(page, weiboUser, 'alt');
    await page.getByRole('heading', { name: '微博登录暂时繁忙' }).waitFor();
    expect(await page.getByTestId('weibo-problem').getAttribute('data-reason')).toBe('WEIBO_RATE_LIMITED');
    expect(await page.getByTestId('weibo-login-button').count()).toBe(1);
    expect(await page.getByRole('link', { name: '用账号密码登录' }).count()).toBe(1);
    await screenshots(page, 'weibo-rate-limited');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('offers only binding an existing account while Weibo sign-up is closed', async () => {
    const weiboUser = await createWeiboUser('测试账号甲');
    await weiboSim().updateApp(altApp(), { testUids: [weiboUser.uid] });
    const account = uniqueAccount('closed');
    await createAccount(account, PASSWORD, 'alt');
    const { context, page, problems } = await newVisitor(browser);
    await page.goto(url('/login', 'alt'));
    await weiboSignIn(page, weiboUser, 'alt');
    await page.getByRole('heading', { name: '还差一步' }).waitFor();
    expect(await page.getByText('请绑定你已有的账号').count()).toBe(1);
    expect(await page.getByRole('radio').count()).toBe(0);
    expect(await page.getByRole('button', { name: '用微博账号直接注册' }).count()).toBe(0);
    await screenshots(page, 'weibo-bind-signup-closed');

    await page.locator('#bind-account').fill(account);
    await page.locator('#bind-password').fill(PASSWORD);
    await page.getByRole('button', { name: '绑定并登录' }).click();
    await page.waitForURL(url('/', 'alt'));
    expect(await page.getByTestId('weibo-screen-name').textContent()).toBe('测试账号甲');
    expect(problems).toEqual([]);
    await context.close();
  });
});
