/**
 * Phones and in-app browsers (shared/reference/china-login.md §1): Weibo's phone page, the
 * one-tap sign-up at 375 px, WeChat's browser, and a return that lands in another browser.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DEMO_APP, MOBILE_AUTHORIZE_PATH } from '@weibo-login/weibo-sim';
import {
  atWeiboAuthorize,
  createWeiboUser,
  decideAtWeibo,
  launchBrowser,
  newVisitor,
  PHONE_UA,
  screenshots,
  url,
  WECHAT_UA,
  weiboSim,
} from './support/browser.ts';

describe.skipIf(inject('skipReason') !== '')('phones and in-app browsers', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('sends a phone to Weibo’s phone page, and a new Weibo user signs up in one tap, after consenting', async () => {
    const weiboUser = await createWeiboUser('手机上的小满');
    const { context, page, problems } = await newVisitor(browser, { phone: { userAgent: PHONE_UA } });
    await page.goto(url('/login'));
    await page.getByRole('heading', { name: '登录' }).waitFor();

    await page.getByTestId('weibo-login-button').click();
    await page.waitForURL(atWeiboAuthorize);
    const authorize = new URL(page.url());
    expect(authorize.pathname).toBe(MOBILE_AUTHORIZE_PATH);
    expect(authorize.searchParams.get('display')).toBe('mobile');
    const recorded = await weiboSim().lastAuthorize({ clientId: DEMO_APP.clientId });
    expect(recorded).toMatchObject({ page: 'mobile', display: 'mobile', state: authorize.searchParams.get('state') });

    await decideAtWeibo(page, { approveAs: weiboUser });
    await page.getByRole('heading', { name: '还差一步' }).waitFor();
    expect(await page.getByTestId('weibo-screen-name').textContent()).toBe('手机上的小满');
    // Nothing is created without consent.
    await page.getByRole('button', { name: '用微博账号直接注册' }).click();
    await page.getByText('请先阅读并同意《用户协议》和《隐私政策》').waitFor();
    expect(await page.getByTestId('consent').evaluate((box) => box === document.activeElement)).toBe(true);
    await screenshots(page, 'weibo-register-consent-required');

    await page.getByTestId('consent').check();
    await page.getByRole('button', { name: '用微博账号直接注册' }).click();
    await page.getByTestId('account-name').waitFor();
    expect(await page.getByTestId('account-name').textContent()).toBe('手机上的小满');
    expect(await page.getByTestId('account-login').textContent()).toMatch(/^账号：wb_[a-z0-9]{8}$/);
    await page.getByTestId('password-setting').getByText('未设置').waitFor();
    await screenshots(page, 'home-weibo-only');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('inside WeChat, says how to open the page in the system browser, and still sends it to Weibo’s phone page', async () => {
    const { context, page, problems } = await newVisitor(browser, { phone: { userAgent: WECHAT_UA } });
    await page.goto(url('/login'));
    const hint = page.getByTestId('in-app-hint');
    await hint.waitFor();
    expect(await hint.textContent()).toContain('你正在微信里浏览');
    expect(await hint.textContent()).toContain('选择「在浏览器中打开」');
    await screenshots(page, 'login-wechat');

    await page.getByTestId('weibo-login-button').click();
    await page.waitForURL(atWeiboAuthorize);
    expect(new URL(page.url()).searchParams.get('display')).toBe('mobile');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('explains a return that lands in another browser, and starts again from there', async () => {
    const weiboUser = await createWeiboUser('换了浏览器');
    // The sign-in starts in one browser…
    const started = await newVisitor(browser, { phone: { userAgent: PHONE_UA } });
    await started.page.goto(url('/login'));
    await started.page.getByTestId('weibo-login-button').click();
    await started.page.waitForURL(atWeiboAuthorize);
    const state = new URL(started.page.url()).searchParams.get('state')!;
    const code = await weiboSim().mintCode({ uid: weiboUser.uid, redirectUri: url('/weibo'), display: 'mobile' });

    // …and Weibo's answer arrives in WeChat's browser, which never had this site's cookie.
    const { context, page, problems } = await newVisitor(browser, { phone: { userAgent: WECHAT_UA } });
    await page.goto(url(`/weibo?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`));
    await page.getByRole('heading', { name: '请在发起登录的同一浏览器中完成' }).waitFor();
    expect(await page.getByTestId('weibo-problem').getAttribute('data-reason')).toBe('BROWSER_MISMATCH');
    expect(await page.getByTestId('in-app-hint').textContent()).toContain('点右上角的「···」，选择「在浏览器中打开」');
    expect(page.url()).toBe(url('/weibo'));
    await screenshots(page, 'weibo-browser-mismatch-wechat');

    // "在这个浏览器重新登录" works where the person is.
    await page.getByRole('button', { name: '在这个浏览器重新登录' }).click();
    await decideAtWeibo(page, { approveAs: weiboUser });
    await page.getByRole('heading', { name: '还差一步' }).waitFor();
    expect(problems).toEqual([]);
    await context.close();
    await started.context.close();
  });
});
