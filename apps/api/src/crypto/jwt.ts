/**
 * Signed tokens (JWT, HS256 only): sessions and bind tickets. Each kind has its own audience, so
 * a ticket is never accepted as a session or the other way round; `alg: none` and other
 * algorithms are refused by pinning the algorithm on verify.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

const ISSUER = 'weibo-login';
export type TokenAudience = 'session' | 'weibo-bind';

/** jsonwebtoken turns a string secret into a key on every call (trying it as a PEM private key
 * first, which throws): make the key once per secret. */
const keys = new Map<string, KeyObject>();
function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

export interface TokenClaims {
  subject: string;
  jwtid: string;
}

export function signToken(secret: string, audience: TokenAudience, claims: TokenClaims, expiresAt: number, now: number): string {
  return jwt.sign({ iat: Math.floor(now / 1000), exp: Math.floor(expiresAt / 1000) }, keyOf(secret), {
    algorithm: 'HS256',
    audience,
    issuer: ISSUER,
    subject: claims.subject,
    jwtid: claims.jwtid,
  });
}

/** The claims of a valid, unexpired token of that audience, or null for anything else. */
export function verifyToken(secret: string, audience: TokenAudience, token: string, now: number): TokenClaims | null {
  try {
    const payload = jwt.verify(token, keyOf(secret), {
      algorithms: ['HS256'],
      audience,
      issuer: ISSUER,
      clockTimestamp: Math.floor(now / 1000),
    });
    if (typeof payload !== 'object' || typeof payload.sub !== 'string' || typeof payload.jti !== 'string') return null;
    return { subject: payload.sub, jwtid: payload.jti };
  } catch {
    return null;
  }
}
