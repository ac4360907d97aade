import { afterEach, describe, expect, it } from 'vitest';
import { ACTIVITY_KINDS, ERROR_REASON_LIST } from '@weibo-login/shared';
import zhCN from '../src/i18n/zh-CN.ts';
import en from '../src/i18n/en.ts';
import { i18n, setLocale } from '../src/i18n/index.ts';
import { errorMessage, formatWait, toUiError } from '../src/lib/errors.ts';

type Tree = { [key: string]: string | ((...args: never[]) => string) | Tree };

function leaves(tree: Tree, prefix = ''): [string, unknown][] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'object' ? leaves(value, `${prefix}${key}.`) : [[`${prefix}${key}`, value] as [string, unknown]],
  );
}

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
      expect(zhCN.activity, kind).toHaveProperty(kind);
      expect(en.activity, kind).toHaveProperty(kind);
    }
  });

  it('has the same keys in English as in Chinese', () => {
    expect(leaves(en as unknown as Tree).map(([key]) => key)).toEqual(leaves(zhCN as unknown as Tree).map(([key]) => key));
  });

  // The production build has no message compiler (vite.config.ts): a plain string is shown as it
  // is, so one holding message syntax would show braces in production but not in dev.
  it('keeps message syntax out of plain strings', () => {
    for (const [key, value] of [...leaves(zhCN as unknown as Tree), ...leaves(en as unknown as Tree)]) {
      if (typeof value === 'string') expect(value, key).not.toMatch(/[{}@|]/);
    }
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
    expect(errorMessage({ reason: 'BAD_CREDENTIALS' })).toBe('Wrong account or password.');
  });

  it('remembers the chosen language and sets <html lang>', async () => {
    await setLocale('en');
    expect(localStorage.getItem('weibo-login.locale')).toBe('en');
    expect(document.documentElement.lang).toBe('en');
    expect(i18n.global.t('login.heading')).toBe('Sign in');
  });
});
