import { createHash, randomFillSync, timingSafeEqual } from 'node:crypto';

/** 128 random bits as hex: ids of sessions and tickets (hex, so no collation can fold case). */
export const randomId = (): string => randomText(16, 'hex');
/** 256 random bits, URL-safe: values handed to browsers (states, the browser-binding cookie). */
export const randomToken = (): string => randomText(32, 'base64url');

/**
 * Random bytes from the CSPRNG, drawn in 4 KiB batches as Node's crypto.randomUUID does: one
 * randomBytes(16) call cost 13–24 µs inside the loaded server (a few % of a login's CPU time,
 * bench CPU profiles), a slice of a batch well under 1 µs. Every byte is handed out once.
 */
const BATCH_BYTES = 4096;
let batch = Buffer.alloc(0);
let used = 0;

function randomText(bytes: number, encoding: 'hex' | 'base64url'): string {
  if (used + bytes > batch.length) {
    batch = randomFillSync(Buffer.allocUnsafe(BATCH_BYTES));
    used = 0;
  }
  const text = batch.toString(encoding, used, used + bytes);
  used += bytes;
  return text;
}
export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
