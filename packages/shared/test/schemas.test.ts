import { describe, expect, it } from 'vitest';
import { accountSchema, authorizeUrlInput, ERROR_REASONS, isErrorReason, passwordSchema, redirectToSchema } from '../src/index.ts';

describe('redirectTo', () => {
  it.each(['/', '/home', '/a/b?c=d#e', '/%E4%B8%AD'])('accepts the in-app path %s', (path) => {
    expect(redirectToSchema.safeParse(path).success).toBe(true);
  });
  it.each([
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    'https://evil.example',
    'javascript:alert(1)',
    '/%2F/evil.example',
    '/%5Cevil.example',
    '/\tfoo',
    ' /home',
    'home',
    '',
    '/' + 'a'.repeat(600),
  ])('refuses %j', (path) => {
    expect(redirectToSchema.safeParse(path).success).toBe(false);
  });
});

describe('accounts and passwords', () => {
  it('accepts 3 to 32 letters of any script, digits, _ . -', () => {
    for (const ok of ['abc', 'Alice.Liu', '张三丰', 'user_1-2.3', 'a'.repeat(32)])
      expect(accountSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['ab', 'a'.repeat(33), 'a b', 'a@b', '<script>', "o'neil", '', '张三'])
      expect(accountSchema.safeParse(bad).success, bad).toBe(false);
  });
  it('normalises accounts to NFC', () => {
    expect(accountSchema.parse('Jose\u0301')).toBe('Jos\u00e9');
  });
  it('counts password length in UTF-8 bytes, 8 to 72', () => {
    expect(passwordSchema.safeParse('1234567').success).toBe(false);
    expect(passwordSchema.safeParse('12345678').success).toBe(true);
    expect(passwordSchema.safeParse('x'.repeat(72)).success).toBe(true);
    expect(passwordSchema.safeParse('x'.repeat(73)).success).toBe(false);
    expect(passwordSchema.safeParse('密'.repeat(24)).success).toBe(true);
    expect(passwordSchema.safeParse('密'.repeat(25)).success).toBe(false);
  });
});

describe('procedure inputs', () => {
  it('refuses unknown keys and unknown intents', () => {
    expect(authorizeUrlInput.safeParse({ intent: 'connect' }).success).toBe(true);
    expect(authorizeUrlInput.safeParse(undefined).success).toBe(true);
    expect(authorizeUrlInput.safeParse({ intent: 'admin' }).success).toBe(false);
    expect(authorizeUrlInput.safeParse({ redirect: '/' }).success).toBe(false);
  });
  it('has a tRPC code for every reason', () => {
    expect(isErrorReason('BAD_CREDENTIALS')).toBe(true);
    expect(isErrorReason('toString')).toBe(false);
    expect(ERROR_REASONS.WEIBO_UNAVAILABLE).toBe('BAD_GATEWAY');
  });
});
