import { describe, expect, it } from 'vitest';
import { redirectToSchema } from '@weibo-login/shared';
import { safeRedirect } from '../src/lib/redirect.ts';

const SAMPLES = [
  '/',
  '/?from=weibo',
  '/settings/security#weibo',
  '/%E4%B8%AD%E6%96%87',
  '//evil.example',
  '/\\evil.example',
  '/%2f%2fevil.example',
  '/%5cevil',
  'https://evil.example/',
  'javascript:alert(1)',
  '',
  'relative/path',
  '/with space',
  '/tab\there',
  '/new\nline',
  `/${'a'.repeat(511)}`,
  `/${'a'.repeat(512)}`,
];

describe('safeRedirect', () => {
  it('accepts exactly what the API accepts as redirectTo', () => {
    for (const sample of SAMPLES) {
      expect(safeRedirect(sample) !== undefined, JSON.stringify(sample)).toBe(redirectToSchema.safeParse(sample).success);
    }
  });

  it('takes the first of repeated query values and ignores non-strings', () => {
    expect(safeRedirect(['/a', '/b'])).toBe('/a');
    expect(safeRedirect(undefined)).toBeUndefined();
    expect(safeRedirect(null)).toBeUndefined();
  });
});
