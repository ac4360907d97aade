/** The Weibo sign-in as people meet it on a computer: first visit (bind or register), later visits,
 * cancelling, Weibo failing, another Weibo account, and a Weibo-only account confirming with Weibo. */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { AUTHORIZE_PATH, DEMO_APP } from '@weibo-login/weibo-sim';
import {
  atWeiboAuthorize,
  createAccount,
  createWeiboUser,
  decideAtWeibo,
  launchBrowser,
  newVisitor,
  screenshots,
  uniqueAccount,
  url,
  weiboSignIn,
  weiboSim,
  type SimUser,
} from './support/browser.ts';

const PASSWORD = 'correct horse battery';

/** Notes the address bar at the moment each weibo.finish call is sent. */
function watchWeiboFinish(page: Page): { addresses: string[] } {
  const seen = { addresses: [] as string[] };
  void page.route('**/trpc/weibo.finish', async (route) => {
    seen.addresses.push(await page.evaluate(() => window.location.href));
    await route.continue();
  });
  return seen;
}

async function startWeiboSignIn(page: Page, weiboUser: SimUser, from = '/login'): Promise<void> {
  if (!page.url().startsWith(url(from))) await page.goto(url(from));
  await weiboSignIn(page, weiboUser);
}

/** A Weibo user with an account of their own, made with the bind panel's one tap. */
async function signUpWithWeibo(page: Page, weiboUser: SimUser): Promise<void> {
  await startWeiboSignIn(page, weiboUser);
  await page.getByTestId('consent').check();
  await page.getByRole('button', { name: '用微博账号直接注册' }).click();
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

  it('lets a new Weibo user bind an existing account, and offers registering after a wrong password', async () => {
    const account = uniqueAccount('bind');
    await createAccount(account, PASSWORD);
    const weiboUser = await createWeiboUser('春日小满');
    const { context, page, problems } = await newVisitor(browser);
    const finish = watchWeiboFinish(page);

    await page.goto(url('/login'));
    await page.getByRole('heading', { name: '登录' }).waitFor();
    await screenshots(page, 'login');
    await page.getByTestId('weibo-login-button').click();
    // A computer gets Weibo's desktop page, without display=mobile.
    await page.waitForURL(atWeiboAuthorize);
    expect(new URL(page.url()).pathname).toBe(AUTHORIZE_PATH);
    expect(await weiboSim().lastAuthorize({ clientId: DEMO_APP.clientId })).toMatchObject({ page: 'desktop', display: null });
    await decideAtWeibo(page, { approveAs: weiboUser });

    await page.getByRole('heading', { name: '还差一步' }).waitFor();
    expect(await page.getByTestId('weibo-screen-name').textContent()).toBe('春日小满');
    expect(finish.addresses).toEqual([url('/weibo')]);
    await screenshots(page, 'weibo-bind');

    // A reload of the bind panel keeps it, and does not send the spent code again.
    await page.reload();
    await page.getByRole('heading', { name: '还差一步' }).waitFor();
    expect(finish.addresses).toHaveLength(1);

    await page.getByRole('radio', { name: '绑定已有账号' }).check();
    await page.locator('#bind-account').fill(account);
    await page.locator('#bind-password').fill('not the password');
    await page.getByRole('button', { name: '绑定并登录' }).click();
    await page.getByText('账号或密码错误。').waitFor();
    await page.getByRole('button', { name: '还没有本站账号？用微博直接注册' }).waitFor();
    await screenshots(page, 'weibo-bind-wrong-password');

    await page.locator('#bind-password').fill(PASSWORD);
    await page.getByRole('button', { name: '绑定并登录' }).click();
    await page.waitForURL(url('/'));
    expect(await page.getByTestId('account-login').textContent()).toBe(`账号：${account}`);
    expect(await page.getByTestId('weibo-screen-name').textContent()).toBe('春日小满');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('lets a new Weibo user register with a name and password of their choosing', async () => {
    const weiboUser = await createWeiboUser('夏至未至');
    const account = uniqueAccount('new');
    const { context, page, problems } = await newVisitor(browser);

    await startWeiboSignIn(page, weiboUser);
    await page.getByText('自己设置账号名和密码').click();
    await page.locator('#quick-register-account').fill('x');
    await page.locator('#quick-register-password').fill(PASSWORD);
    await page.getByTestId('consent').check();
    await page.getByRole('button', { name: '用微博账号直接注册' }).click();
    await page.getByText('账号需为 3–32 位英文字母、数字，或 _ . -').waitFor();
    await screenshots(page, 'weibo-register');

    await page.locator('#quick-register-account').fill(account);
    await page.getByRole('button', { name: '用微博账号直接注册' }).click();
    await page.waitForURL(url('/'));
    expect(await page.getByTestId('account-login').textContent()).toBe(`账号：${account}`);
    expect(await page.getByTestId('weibo-screen-name').textContent()).toBe('夏至未至');
    await page.getByTestId('password-setting').getByText('已设置').waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('takes a bound Weibo user straight in, to where they were going, and never re-sends the code', async () => {
    const weiboUser = await createWeiboUser('秋分');
    const { context, page, problems } = await newVisitor(browser);
    await signUpWithWeibo(page, weiboUser);
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.getByRole('button', { name: '退出登录' }).last().click();
    await page.waitForURL(url('/login'));

    const finish = watchWeiboFinish(page);
    await page.goto(url('/?from=weibo'));
    await page.waitForURL((address) => address.pathname === '/login' && address.searchParams.get('redirect') === '/?from=weibo');
    await startWeiboSignIn(page, weiboUser, '/login?redirect');
    await page.waitForURL(url('/?from=weibo'));
    await page.getByTestId('account-name').waitFor();
    expect(finish.addresses).toEqual([url('/weibo')]);

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
    expect(finish.addresses).toHaveLength(1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('"不是你？" asks Weibo who is signing in', async () => {
    const weiboUser = await createWeiboUser('共用电脑');
    const nextUser = await createWeiboUser('真正的我');
    const { context, page, problems } = await newVisitor(browser);
    await startWeiboSignIn(page, weiboUser);
    await page.getByRole('button', { name: '不是你？换个微博账号' }).click();
    await page.waitForURL(atWeiboAuthorize);
    expect(new URL(page.url()).searchParams.get('forcelogin')).toBe('true');
    await decideAtWeibo(page, { approveAs: nextUser });
    await page.getByRole('heading', { name: '还差一步' }).waitFor();
    expect(await page.getByTestId('weibo-screen-name').textContent()).toBe('真正的我');
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

  it('never leaves the person looking at a spinner: a slow answer brings the ways on, and still counts when it comes', async () => {
    const weiboUser = await createWeiboUser('慢慢来');
    const { context, page, problems } = await newVisitor(browser);
    await page.clock.install();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/trpc/weibo.finish', async (route) => {
      await held;
      await route.continue();
    });
    await startWeiboSignIn(page, weiboUser);
    await page.getByTestId('weibo-working').waitFor();
    expect(await page.getByTestId('weibo-slow').count()).toBe(0);
    await page.clock.fastForward(60_000);
    await page.getByText('微博的响应比平时慢').waitFor();
    await page.getByRole('link', { name: '用账号密码登录' }).waitFor();
    expect(await page.getByTestId('weibo-login-button').count()).toBe(1);
    await screenshots(page, 'weibo-slow');
    release();
    await page.getByRole('heading', { name: '还差一步' }).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('says Weibo sign-in is not available here when Weibo refuses the site’s configuration', async () => {
    const weiboUser = await createWeiboUser('配置出错');
    await weiboSim().addFault({ endpoint: 'access_token', mode: 'error', errorCode: 21324, times: 1 });
    const { context, page, problems } = await newVisitor(browser);
    await startWeiboSignIn(page, weiboUser);
    await page.getByRole('heading', { name: '微博登录暂不可用' }).waitFor();
    expect(await page.getByTestId('weibo-problem').getAttribute('data-reason')).toBe('WEIBO_MISCONFIGURED');
    expect(await page.getByTestId('weibo-login-button').count()).toBe(0);
    await screenshots(page, 'weibo-misconfigured');
    await page.getByRole('link', { name: '用账号密码登录' }).click();
    await page.waitForURL(url('/login'));
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

    await page.getByTestId('consent').check();
    await page.getByRole('button', { name: '用微博账号直接注册' }).click();
    await page.getByTestId('account-name').waitFor();
    expect(await page.getByTestId('weibo-screen-name').textContent()).toBe(html);
    expect(await page.getByTestId('account-name').textContent()).toBe(html);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('lets a Weibo-only account set a password after confirming with Weibo, and carries on where it was', async () => {
    const weiboUser = await createWeiboUser('只用微博');
    const { context, page, problems } = await newVisitor(browser);
    await signUpWithWeibo(page, weiboUser);
    const account = (await page.getByTestId('account-login').textContent())!.replace('账号：', '');

    // Its only way in is Weibo: unlinking it is refused before it is asked for, with the way out.
    await page.getByRole('button', { name: '解除绑定' }).click();
    await page.getByText('这个账号还没有设置密码：解除微博绑定后，你将无法登录。请先设置密码。').waitFor();
    await screenshots(page, 'home-unlink-last-method');
    await page.getByTestId('weibo-setting').getByRole('button', { name: '取消' }).click();

    await page.getByRole('button', { name: '设置密码' }).click();
    const prompt = page.getByTestId('reauth-prompt');
    await prompt.getByText('为了你的账号安全，请验证身份').waitFor();
    await screenshots(page, 'home-set-password-reauth');
    await prompt.getByTestId('weibo-login-button').click();
    await page.waitForURL(atWeiboAuthorize);
    expect(new URL(page.url()).searchParams.get('forcelogin')).toBe('true');
    await decideAtWeibo(page, { approveAs: weiboUser });

    await page.getByText('身份已验证，5 分钟内可以继续操作。').waitFor();
    // Back on the account page, with the note of what was interrupted gone from the address.
    await page.waitForURL(url('/'));
    await page.locator('#new-password').fill(PASSWORD);
    await page.getByRole('button', { name: '设置密码' }).click();
    await page.getByText('密码已设置。现在也可以用账号和密码登录了。').waitFor();
    await page.getByTestId('password-setting').getByText('已设置').waitFor();
    await page.getByText('验证了身份').waitFor();

    await page.getByRole('button', { name: '退出登录' }).click();
    await page.getByRole('button', { name: '退出登录' }).last().click();
    await page.waitForURL(url('/login'));
    await page.locator('#login-account').fill(account);
    await page.locator('#login-password').fill(PASSWORD);
    await page.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByTestId('account-name').waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });
});
