import { afterEach, describe, expect, it } from 'vitest';
import { ACTIVITY_KINDS, ERROR_REASON_LIST } from '@weibo-login/shared';
import zhCN from '../src/i18n/zh-CN.ts';
import en from '../src/i18n/en.ts';
import accountZh from '../src/i18n/lazy/account.zh-CN.ts';
import accountEn from '../src/i18n/lazy/account.en.ts';
import weiboZh from '../src/i18n/lazy/weibo.zh-CN.ts';
import weiboEn from '../src/i18n/lazy/weibo.en.ts';
import { i18n, loadMessages, setLocale } from '../src/i18n/index.ts';
import { errorMessage, formatWait, toUiError } from '../src/lib/errors.ts';
import { IN_APP_BROWSERS } from '@weibo-login/shared/user-agent';

type Tree = { [key: string]: string | ((...args: never[]) => string) | Tree };

function leaves(tree: Tree, prefix = ''): [string, unknown][] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'object' ? leaves(value, `${prefix}${key}.`) : [[`${prefix}${key}`, value] as [string, unknown]],
  );
}

const PAIRS = [
  ['core', zhCN, en],
  ['account', accountZh, accountEn],
  ['weibo', weiboZh, weiboEn],
] as const;

afterEach(async () => {
  await setLocale('zh-CN', { remember: false });
});

describe('messages', () => {
  it('has every error reason of the API in both languages', () => {
    for (const reason of ERROR_REASON_LIST) {
      expect(zhCN.errors, reason).toHaveProperty(reason);
      expect(en.errors, reason).toHaveProperty(reason);
    }
  });

  it('has every activity kind in both languages', () => {
    for (const kind of ACTIVITY_KINDS) {
      expect(accountZh.activity.kinds, kind).toHaveProperty(kind);
      expect(accountEn.activity.kinds, kind).toHaveProperty(kind);
    }
  });

  it('names every in-app browser and its menu item in both languages', () => {
    for (const app of IN_APP_BROWSERS) {
      for (const messages of [zhCN, en]) {
        expect(messages.inApp.apps, app).toHaveProperty(app);
        expect(messages.inApp.menuItems, app).toHaveProperty(app);
      }
    }
  });

  it.each(PAIRS)('has the same keys in English as in Chinese (%s)', (_part, zh, english) => {
    expect(leaves(english as unknown as Tree).map(([key]) => key)).toEqual(leaves(zh as unknown as Tree).map(([key]) => key));
  });

  // The production build has no message compiler (vite.config.ts): a plain string is shown as it
  // is, so one holding message syntax would show braces in production but not in dev.
  it.each(PAIRS)('keeps message syntax out of plain strings (%s)', (_part, zh, english) => {
    for (const [key, value] of [...leaves(zh as unknown as Tree), ...leaves(english as unknown as Tree)]) {
      if (typeof value === 'string') expect(value, key).not.toMatch(/[{}@|]/);
    }
  });

  it('says "bind" nowhere in English: Weibo is linked and unlinked', () => {
    for (const [, , english] of PAIRS) {
      for (const [key, value] of leaves(english as unknown as Tree)) {
        if (typeof value === 'string') expect(value, key).not.toMatch(/\bbind|\bbound\b|\bunbind/i);
      }
    }
  });
});

describe('plurals', () => {
  it('counts in English as English does, and in Chinese without forms', async () => {
    expect(formatWait(60)).toBe('1 分钟');
    expect(formatWait(120)).toBe('2 分钟');
    await setLocale('en', { remember: false });
    expect(formatWait(1)).toBe('1 second');
    expect(formatWait(42)).toBe('42 seconds');
    expect(formatWait(60)).toBe('1 minute');
    expect(formatWait(61)).toBe('2 minutes');
    expect(formatWait(3600)).toBe('1 hour');
    expect(formatWait(7200)).toBe('2 hours');
  });

  it('counts devices in English', async () => {
    await loadMessages('account');
    await setLocale('en', { remember: false });
    expect(i18n.global.t('devices.signOutOthersConfirm', 1)).toBe('Sign out the other device? This device stays signed in.');
    expect(i18n.global.t('devices.signOutOthersConfirm', 3)).toBe('Sign out all 3 other devices? This device stays signed in.');
  });
});

describe('message parts', () => {
  it('fetches a part in the current language, and in the new one on a switch', async () => {
    await loadMessages('weibo');
    expect(i18n.global.t('callback.bindHeading')).toBe('还差一步');
    await setLocale('en', { remember: false });
    expect(i18n.global.t('callback.bindHeading')).toBe('One more step');
  });
});

describe('error messages', () => {
  it('reads the reason and details the API puts in error.data', () => {
    const error = Object.assign(new Error('x'), { data: { reason: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: 290 } });
    expect(toUiError(error)).toEqual({ reason: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: 290 });
  });

  it('takes anything without a known reason for a network failure', () => {
    expect(toUiError(new TypeError('Failed to fetch'))).toEqual({ reason: 'NETWORK' });
    expect(toUiError(Object.assign(new Error('x'), { data: { reason: 'SOMETHING_NEW' } }))).toEqual({ reason: 'NETWORK' });
    expect(toUiError(null)).toEqual({ reason: 'NETWORK' });
  });

  it('says how long to wait, rounded up, in the current language', async () => {
    expect(errorMessage({ reason: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: 290 })).toBe('尝试次数过多，请在 5 分钟后再试。');
    expect(formatWait(42)).toBe('42 秒');
    expect(formatWait(7200)).toBe('2 小时');
    expect(errorMessage({ reason: 'TOO_MANY_ATTEMPTS' })).toBe('尝试次数过多，请稍后再试。');
    await setLocale('en', { remember: false });
    expect(errorMessage({ reason: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: 30 })).toBe(
      'Too many failed attempts. Please try again in 30 seconds.',
    );
    expect(errorMessage({ reason: 'BAD_CREDENTIALS' })).toBe('Wrong account name or password.');
  });

  it('says "wrong password" where only a password was asked for', () => {
    expect(errorMessage({ reason: 'BAD_CREDENTIALS' })).toBe('账号或密码错误。');
    expect(errorMessage({ reason: 'BAD_CREDENTIALS' }, { passwordOnly: true })).toBe('密码错误。');
  });

  it('remembers the chosen language and sets <html lang>', async () => {
    await setLocale('en');
    expect(localStorage.getItem('weibo-login.locale')).toBe('en');
    expect(document.documentElement.lang).toBe('en');
    expect(i18n.global.t('login.heading')).toBe('Sign in');
  });
});
