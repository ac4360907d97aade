/**
 * Signed tokens (JWT, HS256 only): sessions and bind tickets. Each kind has its own audience, so
 * a ticket is never accepted as a session or the other way round; `alg: none` and other
 * algorithms are refused by pinning the algorithm on verify.
 *
 * (2e) Keys rotate without signing anyone out: JWT_SECRET signs, and JWT_PREVIOUS_SECRETS still
 * verify. Every token names its key in the `kid` header: a digest of the secret, never the
 * secret. A token without a `kid` (signed before the second edition) is tried with every key.
 */
import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

const ISSUER = 'weibo-login';
export type TokenAudience = 'session' | 'weibo-bind';

interface SigningKey {
  kid: string;
  /** jsonwebtoken turns a string secret into a key on every call (trying it as a PEM private key
   * first, which throws): the key is made once. */
  key: KeyObject;
}

/** The key that signs, and every key that verifies (it first). */
export interface SigningKeys {
  readonly current: SigningKey;
  readonly verifying: readonly SigningKey[];
}

/** A key's id: 16 hex characters of a digest of its secret (names the key, tells nothing of it). */
export const keyIdOf = (secret: string): string => createHash('sha256').update(`weibo-login jwt key\0${secret}`).digest('hex').slice(0, 16);

const keyOf = (secret: string): SigningKey => ({ kid: keyIdOf(secret), key: createSecretKey(Buffer.from(secret, 'utf8')) });

export function createSigningKeys(secret: string, previous: readonly string[] = []): SigningKeys {
  const current = keyOf(secret);
  return { current, verifying: [current, ...previous.filter((old) => old !== secret).map(keyOf)] };
}

/** Signing keys of a plain secret, made once (the tests and the bench sign with one). */
const single = new Map<string, SigningKeys>();
export const signingKeysOf = (keys: SigningKeys | string): SigningKeys =>
  typeof keys !== 'string' ? keys : (single.get(keys) ?? single.set(keys, createSigningKeys(keys)).get(keys)!);

export interface TokenClaims {
  subject: string;
  jwtid: string;
}

export function signToken(
  keys: SigningKeys | string,
  audience: TokenAudience,
  claims: TokenClaims,
  expiresAt: number,
  now: number,
): string {
  const { current } = signingKeysOf(keys);
  return jwt.sign({ iat: Math.floor(now / 1000), exp: Math.floor(expiresAt / 1000) }, current.key, {
    algorithm: 'HS256',
    keyid: current.kid,
    audience,
    issuer: ISSUER,
    subject: claims.subject,
    jwtid: claims.jwtid,
  });
}

/** The claims of a valid, unexpired token of that audience, or null for anything else. */
export function verifyToken(keys: SigningKeys | string, audience: TokenAudience, token: string, now: number): TokenClaims | null {
  const { verifying } = signingKeysOf(keys);
  const kid = keyIdInHeader(token);
  for (const candidate of verifying) {
    if (kid !== undefined && candidate.kid !== kid) continue;
    const claims = verifyWith(candidate.key, audience, token, now);
    if (claims) return claims;
  }
  return null;
}

function verifyWith(key: KeyObject, audience: TokenAudience, token: string, now: number): TokenClaims | null {
  try {
    const payload = jwt.verify(token, key, { algorithms: ['HS256'], audience, issuer: ISSUER, clockTimestamp: Math.floor(now / 1000) });
    if (typeof payload !== 'object' || typeof payload.sub !== 'string' || typeof payload.jti !== 'string') return null;
    return { subject: payload.sub, jwtid: payload.jti };
  } catch {
    return null;
  }
}

/** The `kid` of the token's header, undefined when it has none (or the header is not JSON). */
function keyIdInHeader(token: string): string | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
    const kid = (header as { kid?: unknown } | null)?.kid;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}
