/**
 * 账号与安全 and the account's life: registering with consent, linking and unlinking Weibo,
 * devices, the password, the data export, deleting the account, signing out; the keyboard alone;
 * the pages anyone can open (terms, privacy, 404).
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  createAccount,
  createWeiboUser,
  decideAtWeibo,
  launchBrowser,
  newVisitor,
  nextAddress,
  PHONE_UA,
  screenshots,
  uniqueAccount,
  url,
} from './support/browser.ts';

const PASSWORD = 'correct horse battery';

async function signInWithPassword(page: Page, account: string, password = PASSWORD): Promise<void> {
  await page.goto(url('/login'));
  await page.locator('#login-account').fill(account);
  await page.locator('#login-password').fill(password);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.getByTestId('account-name').waitFor();
}

/** "退出登录" on the profile, then its confirmation. */
async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: '退出登录' }).click();
  await page.getByText('确定退出登录吗？').waitFor();
  await page.getByRole('button', { name: '退出登录' }).last().click();
  await page.waitForURL(url('/login'));
}

async function signInWorks(account: string, password: string): Promise<boolean> {
  const response = await fetch(url('/trpc/auth.login'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': nextAddress() },
    body: JSON.stringify({ account, password }),
  });
  return response.status === 200;
}

describe.skipIf(inject('skipReason') !== '')('the account in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('registers with a password from the sign-in page, only after consenting to the terms', async () => {
    const account = uniqueAccount('reg');
    const { context, page, problems } = await newVisitor(browser);
    await page.goto(url('/login'));
    await page.getByRole('link', { name: '注册新账号' }).click();
    await page.waitForURL(url('/register'));
    await page.getByRole('heading', { name: '注册新账号' }).waitFor();
    await page.getByTestId('weibo-login-button').waitFor();
    await screenshots(page, 'register');

    await page.locator('#register-account').fill(account);
    await page.locator('#register-password').fill(PASSWORD);
    await page.getByRole('button', { name: '注册', exact: true }).click();
    await page.getByText('请先阅读并同意《用户协议》和《隐私政策》').waitFor();
    expect(page.url()).toBe(url('/register'));
    expect(await signInWorks(account, PASSWORD)).toBe(false);
    await screenshots(page, 'register-consent-required');

    await page.getByTestId('consent').check();
    await page.getByRole('button', { name: '注册', exact: true }).click();
    await page.waitForURL(url('/'));
    expect(await page.getByTestId('account-name').textContent()).toBe(account);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('links Weibo after the password, then unlinks it; a wrong password is called a wrong password', async () => {
    const account = uniqueAccount('conn');
    await createAccount(account, PASSWORD);
    const weiboUser = await createWeiboUser('连接测试');
    const { context, page, problems } = await newVisitor(browser);
    await signInWithPassword(page, account);
    await page.getByText('未绑定。绑定后可以用微博一键登录。').waitFor();
    await screenshots(page, 'home');

    await page.getByTestId('weibo-link-button').click();
    await page.getByText('为了你的账号安全，请验证身份').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('connect-reauth-password');
    await screenshots(page, 'home-link-reauth');
    await page.locator('#connect-reauth-password').fill(PASSWORD);
    await page.getByRole('button', { name: '验证' }).click();
    await decideAtWeibo(page, { approveAs: weiboUser });
    await page.waitForURL(url('/'));
    await page.getByText('已绑定微博“连接测试”。').waitFor();
    expect(await page.getByTestId('weibo-screen-name').textContent()).toBe('连接测试');
    await page.getByText('绑定了微博').waitFor();
    await screenshots(page, 'home-bound');

    await page.getByRole('button', { name: '解除绑定' }).click();
    await page.locator('#unbind-password').fill('not the password');
    await page.getByRole('button', { name: '确认解除' }).click();
    await page.getByTestId('weibo-setting').getByText('密码错误。', { exact: true }).waitFor();
    await screenshots(page, 'home-unbind');

    await page.locator('#unbind-password').fill(PASSWORD);
    await page.getByRole('button', { name: '确认解除' }).click();
    await page.getByText('已解除微博绑定。').waitFor();
    await page.getByTestId('weibo-link-button').waitFor();
    await page.getByText('解除了微博绑定').waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('lists the devices signed in, by name, and signs the others out', async () => {
    const account = uniqueAccount('dev');
    await createAccount(account, PASSWORD);
    const laptop = await newVisitor(browser);
    const phone = await newVisitor(browser, { phone: { userAgent: PHONE_UA } });
    await signInWithPassword(phone.page, account);
    await signInWithPassword(laptop.page, account);

    const names = await laptop.page.getByTestId('device-name').allTextContents();
    expect(names).toEqual(['Chrome · Linux', 'Safari · iPhone']);
    await laptop.page.getByTestId('sign-out-others').click();
    await laptop.page.getByText('让另一台设备退出登录？本机不受影响。').waitFor();
    await screenshots(laptop.page, 'home-devices-sign-out-others');
    await laptop.page.getByRole('button', { name: '退出其他所有设备' }).click();
    await laptop.page.getByText('其他设备已全部退出登录。').waitFor();
    expect(await laptop.page.getByTestId('device').count()).toBe(1);
    await laptop.page.getByText('让一台设备退出了登录').waitFor();

    // The phone's next request finds its session gone; this one still works.
    await phone.page.reload();
    await phone.page.waitForURL((address) => address.pathname === '/login');
    await phone.page.getByText('登录已失效，请重新登录。').waitFor();
    await laptop.page.reload();
    await laptop.page.getByTestId('account-name').waitFor();
    expect([...laptop.problems, ...phone.problems]).toEqual([]);
    await laptop.context.close();
    await phone.context.close();
  });

  it('changes the password, signing out the other devices', async () => {
    const account = uniqueAccount('pw');
    await createAccount(account, PASSWORD);
    const other = await newVisitor(browser);
    await signInWithPassword(other.page, account);
    const { context, page, problems } = await newVisitor(browser);
    await signInWithPassword(page, account);

    await page.getByRole('button', { name: '修改密码' }).click();
    await page.locator('#current-password').fill(PASSWORD);
    await page.locator('#new-password').fill('a brand new passphrase');
    await page.getByText('修改后，其他设备上的登录会全部退出。').waitFor();
    await screenshots(page, 'home-change-password');
    await page.getByRole('button', { name: '确认修改' }).click();
    await page.getByText('密码已修改，其他设备已退出登录。').waitFor();
    expect(await signInWorks(account, PASSWORD)).toBe(false);
    expect(await signInWorks(account, 'a brand new passphrase')).toBe(true);
    await other.page.reload();
    await other.page.waitForURL((address) => address.pathname === '/login');
    expect([...problems, ...other.problems]).toEqual([]);
    await context.close();
    await other.context.close();
  });

  it('downloads everything held about the account, and nothing secret', async () => {
    const account = uniqueAccount('exp');
    await createAccount(account, PASSWORD);
    const { context, page, problems } = await newVisitor(browser);
    await signInWithPassword(page, account);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: '导出我的数据' }).click();
    const file = await (await download).path();
    expect((await download).suggestedFilename()).toMatch(new RegExp(`^${account}-\\d{4}-\\d{2}-\\d{2}\\.json$`));
    const text = fs.readFileSync(file, 'utf8');
    const data = JSON.parse(text) as { user: { account: string }; devices: unknown[]; events: { kind: string }[] };
    expect(data.user.account).toBe(account);
    expect(data.devices).toHaveLength(1);
    expect(data.events.map((event) => event.kind)).toContain('sign_in_password');
    expect(text).not.toMatch(/"(token|passwordHash|password_hash|accessToken)"/);
    await page.getByText('已开始下载你的数据。').waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('deletes the account after a page that says what goes, and frees its name', async () => {
    const account = uniqueAccount('del');
    await createAccount(account, PASSWORD);
    const { context, page, problems } = await newVisitor(browser);
    await signInWithPassword(page, account);
    await page.getByTestId('delete-account-link').click();
    await page.waitForURL(url('/account/delete'));
    await page.getByText(`账号“${account}”，以及它的密码和资料（昵称、头像）`).waitFor();
    await page.getByText('这台设备上的登录').waitFor();
    await screenshots(page, 'delete-account');

    await page.getByRole('button', { name: '注销账号' }).click();
    await page.getByText('请先勾选确认').waitFor();
    await page.getByLabel('我已了解：注销后账号无法恢复').check();
    await page.locator('#delete-password').fill('not the password');
    await page.getByRole('button', { name: '注销账号' }).click();
    await page.getByText('密码错误。', { exact: true }).waitFor();
    expect(await signInWorks(account, PASSWORD)).toBe(true);

    await page.locator('#delete-password').fill(PASSWORD);
    await page.getByRole('button', { name: '注销账号' }).click();
    await page.waitForURL(url('/login'));
    await page.getByText('账号已注销。').waitFor();
    expect(await signInWorks(account, PASSWORD)).toBe(false);
    await createAccount(account, 'someone else entirely');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('signs out after asking: the token stops working and / asks to sign in again', async () => {
    const account = uniqueAccount('out');
    await createAccount(account, PASSWORD);
    const { context, page, problems } = await newVisitor(browser);
    await signInWithPassword(page, account);
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('weibo-login.session') ?? 'null')?.token as string);
    expect(token).toBeTruthy();

    await page.reload();
    await page.getByTestId('account-name').waitFor();
    await signOut(page);
    await page.getByText('你已退出登录。').waitFor();
    const me = await fetch(url('/trpc/auth.me'), { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(401);

    await page.goto(url('/'));
    await page.waitForURL((address) => address.pathname === '/login' && address.searchParams.get('redirect') === '/');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('signs in with the keyboard alone, with a visible focus all the way', async () => {
    const account = uniqueAccount('keys');
    await createAccount(account, PASSWORD);
    const { context, page, problems } = await newVisitor(browser);
    await page.goto(url('/login'));
    await page.getByRole('heading', { name: '登录' }).waitFor();
    const focused = () =>
      page.evaluate(() => {
        const element = document.activeElement as HTMLElement;
        const style = getComputedStyle(element);
        return {
          id: element.id,
          tag: element.tagName,
          text: element.textContent?.trim() ?? '',
          outline: style.outlineStyle,
          width: style.outlineWidth,
        };
      });

    const path: string[] = [];
    for (let presses = 0; presses < 12 && (await focused()).id !== 'login-account'; presses++) {
      await page.keyboard.press('Tab');
      const now = await focused();
      path.push(now.id || now.text || now.tag);
      expect(now.outline, `focus ring on ${path.at(-1)}`).toBe('solid');
    }
    expect(path).toContain('微博登录');
    expect((await focused()).id).toBe('login-account');
    await page.keyboard.type(account);
    await page.keyboard.press('Tab');
    expect((await focused()).id).toBe('login-password');
    await page.keyboard.type(PASSWORD);
    // The password toggle is next, then the button; Enter in the field submits.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('显示密码');
    await page.keyboard.press('Space');
    expect(await page.locator('#login-password').getAttribute('type')).toBe('text');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByTestId('account-name').waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('has the terms, the privacy policy and a 404 page with a way home', async () => {
    const { context, page, problems } = await newVisitor(browser);
    await page.goto(url('/login'));
    await page.getByTestId('footer-terms').click();
    await page.waitForURL(url('/terms'));
    await page.getByRole('heading', { name: '用户协议' }).waitFor();
    await screenshots(page, 'terms');
    await page.getByTestId('footer-privacy').click();
    await page.waitForURL(url('/privacy'));
    await page.getByRole('heading', { name: '隐私政策' }).waitFor();
    await page.getByText('微博用户 ID（uid）').waitFor();
    await screenshots(page, 'privacy');

    await page.goto(url('/no/such/page'));
    await page.getByRole('heading', { name: '页面不存在' }).waitFor();
    expect(page.url()).toBe(url('/no/such/page'));
    await screenshots(page, 'not-found');
    await page.getByRole('link', { name: '返回首页' }).click();
    await page.waitForURL((address) => address.pathname === '/login');
    expect(problems).toEqual([]);
    await context.close();
  });
});
