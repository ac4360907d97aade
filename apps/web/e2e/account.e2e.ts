/** The account page: password accounts, connecting and unbinding Weibo, activity, signing out. */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  createAccount,
  createWeiboUser,
  decideAtWeibo,
  launchBrowser,
  newVisitor,
  screenshots,
  uniqueAccount,
  url,
} from './support/browser.ts';

const PASSWORD = 'correct horse battery';

async function signInWithPassword(page: Page, account: string, path = '/login'): Promise<void> {
  await page.goto(url(path));
  await page.locator('#login-account').fill(account);
  await page.locator('#login-password').fill(PASSWORD);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.getByTestId('account-name').waitFor();
}

describe.skipIf(inject('skipReason') !== '')('the account page in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('registers with a password from the sign-in page', async () => {
    const account = uniqueAccount('reg');
    const { context, page, problems } = await newVisitor(browser);
    await page.goto(url('/login'));
    await page.getByRole('link', { name: '注册新账号' }).click();
    await page.waitForURL(url('/register'));
    await page.getByRole('heading', { name: '注册新账号' }).waitFor();
    await screenshots(page, 'register');
    await page.locator('#register-account').fill(account);
    await page.locator('#register-password').fill(PASSWORD);
    await page.getByRole('button', { name: '注册', exact: true }).click();
    await page.waitForURL(url('/'));
    expect(await page.getByTestId('account-name').textContent()).toBe(account);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('connects Weibo from the account page, then unbinds it with the password', async () => {
    const account = uniqueAccount('conn');
    await createAccount(account, PASSWORD);
    const weiboUser = await createWeiboUser('连接测试');
    const { context, page, problems } = await newVisitor(browser);
    await signInWithPassword(page, account);
    await page.getByText('尚未绑定微博').waitFor();
    await screenshots(page, 'home');

    await page.getByTestId('weibo-login-button').click();
    await decideAtWeibo(page, { approveAs: weiboUser });
    await page.waitForURL(url('/'));
    await page.getByText('已绑定微博“连接测试”。').waitFor();
    expect(await page.getByTestId('weibo-screen-name').textContent()).toBe('连接测试');
    await page.getByText('绑定了微博').waitFor();
    await screenshots(page, 'home-bound');

    await page.getByRole('button', { name: '解除绑定' }).click();
    await page.getByLabel('密码').fill('not the password');
    await page.getByRole('button', { name: '确认解除' }).click();
    await page.getByText('账号或密码错误。').waitFor();
    await screenshots(page, 'home-unbind');

    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '确认解除' }).click();
    await page.getByText('已解除微博绑定。').waitFor();
    await page.getByTestId('weibo-login-button').waitFor();
    await page.getByText('解除了微博绑定').waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('signs out: the token stops working and / asks to sign in again', async () => {
    const account = uniqueAccount('out');
    await createAccount(account, PASSWORD);
    const { context, page, problems } = await newVisitor(browser);
    await signInWithPassword(page, account);
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('weibo-login.session') ?? 'null')?.token as string);
    expect(token).toBeTruthy();

    await page.reload();
    await page.getByTestId('account-name').waitFor();

    await page.getByRole('button', { name: '退出登录' }).click();
    await page.waitForURL(url('/login'));
    await page.getByText('你已退出登录。').waitFor();
    const me = await fetch(url('/trpc/auth.me'), { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(401);

    await page.goto(url('/'));
    await page.waitForURL((address) => address.pathname === '/login' && address.searchParams.get('redirect') === '/');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('signs out of every device at once', async () => {
    const account = uniqueAccount('all');
    await createAccount(account, PASSWORD);
    const laptop = await newVisitor(browser);
    const phone = await newVisitor(browser);
    await signInWithPassword(laptop.page, account);
    await signInWithPassword(phone.page, account);

    await laptop.page.getByRole('button', { name: '退出所有设备' }).click();
    await laptop.page.waitForURL(url('/login'));

    await phone.page.reload();
    await phone.page.waitForURL((address) => address.pathname === '/login');
    await phone.page.getByText('登录已失效，请重新登录。').waitFor();
    expect([...laptop.problems, ...phone.problems]).toEqual([]);
    await laptop.context.close();
    await phone.context.close();
  });
});
