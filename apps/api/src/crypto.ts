import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 128 random bits as hex: ids of sessions and tickets (hex, so no collation can fold case). */
export const randomId = (): string => randomBytes(16).toString('hex');
/** 256 random bits, URL-safe: values handed to browsers (states, the browser-binding cookie). */
export const randomToken = (): string => randomBytes(32).toString('base64url');
export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
