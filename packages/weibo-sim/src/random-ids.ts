/** Random identifiers in the formats Weibo uses on the wire. */
import { randomBytes, randomInt } from 'node:crypto';

/** Codes are 32 lowercase hex characters (observed, reference §1). One randomBytes call per batch keeps minting 100k fast. */
export function randomCodes(count: number): string[] {
  const hex = randomBytes(16 * count).toString('hex');
  const codes = new Array<string>(count);
  for (let i = 0; i < count; i++) codes[i] = hex.slice(i * 32, i * 32 + 32);
  return codes;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Tokens look like "2.00" + 28 alphanumerics, 32 characters in all (reference §2). */
export function randomAccessToken(): string {
  let out = '2.00';
  while (out.length < 32) {
    for (const byte of randomBytes(32)) {
      // 248 = 4 * 62: dropping higher bytes keeps every character equally likely.
      if (byte < 248 && out.length < 32) out += ALNUM[byte % 62];
    }
  }
  return out;
}

/** A fresh 10-digit uid; starts with 5-7 like today's accounts. */
export function randomUid(): string {
  return String(randomInt(5, 8)) + String(randomInt(0, 1_000_000_000)).padStart(9, '0');
}
