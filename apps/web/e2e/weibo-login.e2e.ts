/** The Weibo sign-in as people meet it: first visit (bind or register), later visits, cancelling. */
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
  weiboSim,
  type SimUser,
} from './support/browser.ts';

const PASSWORD = 'correct horse battery';

/** Counts weibo.login calls and notes the address bar at the moment each one is sent. */
function watchWeiboLogin(page: Page): { addresses: string[] } {
  const seen = { addresses: [] as string[] };
  void page.route('**/trpc/weibo.login', async (route) => {
    seen.addresses.push(await page.evaluate(() => window.location.href));
    await route.continue();
  });
  return seen;
}

async function startWeiboSignIn(page: Page, weiboUser: SimUser, from = '/login'): Promise<void> {
  if (!page.url().startsWith(url(from))) await page.goto(url(from));
  await page.getByTestId('weibo-login-button').click();
  await decideAtWeibo(page, { approveAs: weiboUser });
}

/** A Weibo user bound to a new account through the bind panel's "注册新账号". */
async function registerThroughWeibo(page: Page, weiboUser: SimUser, account: string): Promise<void> {
  await startWeiboSignIn(page, weiboUser);
  await page.getByRole('radio', { name: '注册新账号' }).check();
  await page.locator('#bind-register-account').fill(account);
  await page.locator('#bind-register-password').fill(PASSWORD);
  await page.getByRole('button', { name: '注册并登录' }).click();
  await page.getByTestId('account-name').waitFor();
}

describe.skipIf(inject('skipReason') !== '')('Weibo sign-in in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('lets a new Weibo user bind an existing account', async () => {
    const account = uniqueAccount('bind');
    await createAccount(account, PASSWORD);
    const weiboUser = await createWeiboUser('春日小满');
    const { context, page, problems } = await newVisitor(browser);
    const weiboLogin = watchWeiboLogin(page);

    await page.goto(url('/login'));
    await page.getByRole('heading', { name: '登录' }).waitFor();
    await screenshots(page, 'login');
    await startWeiboSignIn(page, weiboUser);

    await page.getByRole('heading', { name: '还差一步' }).waitFor();
    expect(await page.getByTestId('weibo-screen-name').textContent()).toBe('春日小满');
    expect(weiboLogin.addresses).toEqual([url('/weibo')]);
    await screenshots(page, 'weibo-bind');

    // A reload of the bind panel keeps it, and does not send the spent code again.
    await page.reload();
    await page.getByRole('heading', { name: '还差一步' }).waitFor();
    expect(weiboLogin.addresses).toHaveLength(1);

    await page.locator('#bind-account').fill(account);
    await page.locator('#bind-password').fill('not the password');
    await page.getByRole('button', { name: '绑定并登录' }).click();
    await page.getByText('账号或密码错误。').waitFor();

    await page.locator('#bind-password').fill(PASSWORD);
    await page.getByRole('button', { name: '绑定并登录' }).click();
    await page.waitForURL(url('/'));
    expect(await page.getByTestId('account-login').textContent()).toBe(`账号：${account}`);
    expect(await page.getByTestId('weibo-screen-name').textContent()).toBe('春日小满');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('lets a new Weibo user register a new account', async () => {
    const weiboUser = await createWeiboUser('夏至未至');
    const account = uniqueAccount('new');
    const { context, page, problems } = await newVisitor(browser);

    await startWeiboSignIn(page, weiboUser);
    await page.getByRole('radio', { name: '注册新账号' }).check();
    await page.locator('#bind-register-account').fill('x');
    await page.locator('#bind-register-password').fill(PASSWORD);
    await page.getByRole('button', { name: '注册并登录' }).click();
    await page.getByText('账号需为 3–32 位英文字母、数字、下划线、点或短横线').waitFor();
    await screenshots(page, 'weibo-register');

    await page.locator('#bind-register-account').fill(account);
    await page.getByRole('button', { name: '注册并登录' }).click();
    await page.waitForURL(url('/'));
    expect(await page.getByTestId('account-login').textContent()).toBe(`账号：${account}`);
    expect(await page.getByTestId('weibo-screen-name').textContent()).toBe('夏至未至');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('takes a bound Weibo user straight in, to where they were going, and never re-sends the code', async () => {
    const weiboUser = await createWeiboUser('秋分');
    const { context, page, problems } = await newVisitor(browser);
    await registerThroughWeibo(page, weiboUser, uniqueAccount('back'));
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.waitForURL(url('/login'));

    const weiboLogin = watchWeiboLogin(page);
    await page.goto(url('/?from=weibo'));
    await page.waitForURL((address) => address.pathname === '/login' && address.searchParams.get('redirect') === '/?from=weibo');
    await startWeiboSignIn(page, weiboUser, '/login?redirect');
    await page.waitForURL(url('/?from=weibo'));
    await page.getByTestId('account-name').waitFor();
    expect(weiboLogin.addresses).toEqual([url('/weibo')]);

    // Back leaves for Weibo's page (the /weibo entry was replaced); forward, a visit to /weibo and
    // a reload all find the work done, and none sends the code again.
    await page.goBack();
    await page.waitForURL((address) => !address.href.startsWith(url('/')));
    await page.goForward();
    await page.getByTestId('account-name').waitFor();
    await page.goto(url('/weibo'));
    await page.waitForURL(url('/'));
    await page.reload();
    await page.getByTestId('account-name').waitFor();
    expect(weiboLogin.addresses).toHaveLength(1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('explains a cancel at Weibo and offers both ways back', async () => {
    const { context, page, problems } = await newVisitor(browser);
    await page.goto(url('/login'));
    await page.getByTestId('weibo-login-button').click();
    await decideAtWeibo(page, 'cancel');
    await page.getByRole('heading', { name: '你已取消微博授权' }).waitFor();
    expect(page.url()).toBe(url('/weibo'));
    await screenshots(page, 'weibo-cancelled');
    await page.getByRole('link', { name: '用账号密码登录' }).click();
    await page.waitForURL(url('/login'));
    expect(problems).toEqual([]);
    await context.close();
  });

  it('explains Weibo being unavailable, and the retry works', async () => {
    const weiboUser = await createWeiboUser('冬至');
    await weiboSim().addFault({ endpoint: 'access_token', mode: '502', times: 1 });
    const { context, page, problems } = await newVisitor(browser);
    await startWeiboSignIn(page, weiboUser);
    await page.getByRole('heading', { name: '微博暂时无法访问' }).waitFor();
    await screenshots(page, 'weibo-unavailable');

    await page.getByTestId('weibo-login-button').click();
    await decideAtWeibo(page, { approveAs: weiboUser });
    await page.getByRole('heading', { name: '还差一步' }).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a screen name that looks like HTML as text, everywhere', async () => {
    const html = '<img src=x onerror=alert(1)>';
    const weiboUser = await createWeiboUser(html);
    const { context, page, problems } = await newVisitor(browser);
    await startWeiboSignIn(page, weiboUser);
    await page.getByRole('heading', { name: '还差一步' }).waitFor();
    expect(await page.getByTestId('weibo-screen-name').textContent()).toBe(html);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await screenshots(page, 'weibo-bind-html-name');

    await page.getByRole('radio', { name: '注册新账号' }).check();
    await page.locator('#bind-register-account').fill(uniqueAccount('html'));
    await page.locator('#bind-register-password').fill(PASSWORD);
    await page.getByRole('button', { name: '注册并登录' }).click();
    await page.getByTestId('account-name').waitFor();
    expect(await page.getByTestId('weibo-screen-name').textContent()).toBe(html);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });
});
