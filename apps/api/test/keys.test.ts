/**
 * (2e) Keys: JWTs name their key (`kid`) and previous secrets still verify; stored Weibo tokens are
 * sealed with AES-256-GCM under DATA_ENCRYPTION_KEY, previous keys still open them, plaintext
 * rows from before are sealed by resealStoredTokens, and tokens past their expiry are purged.
 */
import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { createSigningKeys, keyIdOf, signToken, verifyToken } from '../src/crypto/jwt.ts';
import { createTokenCipher, dataKeyIdOf, UnknownDataKey } from '../src/crypto/token-cipher.ts';
import { handleRevocationHint } from '../src/modules/weibo-login/weibo-binding.service.ts';
import { purgeExpiredTokens, resealStoredTokens } from '../src/modules/weibo-login/stored-tokens.ts';
import { describeOnEachDatabase } from './support/harness.ts';

const OLD = 'old-secret-0123456789abcdef-0123456789';
const NEW = 'new-secret-fedcba9876543210-9876543210';
const claims = { subject: '7', jwtid: 'a'.repeat(32) };

describe('JWT keys', () => {
  it('signs with the current secret and names it in kid (a digest, not the secret)', () => {
    const token = signToken(createSigningKeys(NEW, [OLD]), 'session', claims, Date.now() + 60_000, Date.now());
    const header = jwt.decode(token, { complete: true })!.header;
    expect(header.kid).toBe(keyIdOf(NEW));
    expect(header.kid).not.toContain(NEW.slice(0, 8));
    expect(header.alg).toBe('HS256');
  });

  it('verifies tokens of previous secrets until they are dropped', () => {
    const now = Date.now();
    const before = signToken(createSigningKeys(OLD), 'session', claims, now + 60_000, now);
    expect(verifyToken(createSigningKeys(NEW, [OLD]), 'session', before, now)).toEqual(claims);
    expect(verifyToken(createSigningKeys(NEW), 'session', before, now)).toBeNull();
  });

  it('refuses a kid that names no key it has, and a token signed by another key under a borrowed kid', () => {
    const now = Date.now();
    const keys = createSigningKeys(NEW, [OLD]);
    const stranger = jwt.sign({ exp: Math.floor(now / 1000) + 60 }, 'x'.repeat(40), {
      keyid: 'ffffffffffffffff',
      audience: 'session',
      issuer: 'weibo-login',
      subject: '7',
      jwtid: claims.jwtid,
    });
    expect(verifyToken(keys, 'session', stranger, now)).toBeNull();
    const borrowed = jwt.sign({ exp: Math.floor(now / 1000) + 60 }, 'x'.repeat(40), {
      keyid: keyIdOf(NEW),
      audience: 'session',
      issuer: 'weibo-login',
      subject: '7',
      jwtid: claims.jwtid,
    });
    expect(verifyToken(keys, 'session', borrowed, now)).toBeNull();
  });

  it('still verifies a token without kid (signed before the second edition) with any of its keys', () => {
    const now = Date.now();
    const legacy = jwt.sign({ iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 60 }, OLD, {
      audience: 'session',
      issuer: 'weibo-login',
      subject: '7',
      jwtid: claims.jwtid,
    });
    expect(verifyToken(createSigningKeys(NEW, [OLD]), 'session', legacy, now)).toEqual(claims);
  });
});

describe('the token cipher', () => {
  const current = randomBytes(32);
  const previous = randomBytes(32);

  it('seals with AES-256-GCM under the current key, naming it, and opens what it sealed', () => {
    const cipher = createTokenCipher(current);
    const sealed = cipher.seal('2.00abcDEF_token');
    expect(sealed).toMatch(new RegExp(`^wlenc1\\.${dataKeyIdOf(current)}\\.`));
    expect(sealed).not.toContain('2.00abc');
    expect(cipher.seal('2.00abcDEF_token')).not.toBe(sealed); // a fresh IV each time
    expect(cipher.open(sealed)).toBe('2.00abcDEF_token');
    expect(cipher.isCurrent(sealed)).toBe(true);
  });

  it('opens what a previous key sealed; without that key, it says which key is missing', () => {
    const old = createTokenCipher(previous).seal('2.00old');
    expect(createTokenCipher(current, [previous]).open(old)).toBe('2.00old');
    expect(createTokenCipher(current, [previous]).isCurrent(old)).toBe(false);
    expect(() => createTokenCipher(current).open(old)).toThrow(UnknownDataKey);
  });

  it('refuses a tampered value (the tag) and opens plaintext from before sealing as it is', () => {
    const cipher = createTokenCipher(current);
    const sealed = cipher.seal('2.00secret');
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.at(-1);
    expect(() => cipher.open(flipped)).toThrow();
    expect(cipher.open('2.00plaintext')).toBe('2.00plaintext');
  });
});

describeOnEachDatabase('stored tokens at rest', (h) => {
  it('seals plaintext rows from before, and rows of an older key, so that the hint check still reaches Weibo with the right token', async () => {
    const account = await h.registerAccount();
    const uid = await h.newWeiboUser();
    const login = await h.weiboLogin(uid);
    if (login.status !== 'bind_required') throw new Error('expected bind_required');
    await h.caller().weibo.bind({ ticket: login.ticket, account: account.account, password: account.password });
    const row = await h.db
      .selectFrom('identities')
      .select(['id', 'access_token'])
      .where('provider_uid', '=', uid)
      .executeTakeFirstOrThrow();
    const plain = h.deps.tokens.open(row.access_token!);
    // As a database written before sealing existed would hold it.
    await h.db.updateTable('identities').set({ access_token: plain }).where('id', '=', row.id).execute();
    const done = await resealStoredTokens(h.deps);
    expect(done.identities).toBeGreaterThanOrEqual(1);
    const after = await h.db.selectFrom('identities').select('access_token').where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(after.access_token).toMatch(/^wlenc1\./);
    expect(h.deps.tokens.open(after.access_token!)).toBe(plain);
    // The hint check asks Weibo about the real token: revoked there, the binding goes.
    await h.simControl.revokeTokens({ uid });
    expect(await handleRevocationHint(h.deps, { source: h.weiboConfig.clientId, uid })).toBe('removed');
    // Nothing is left in plaintext.
    expect((await resealStoredTokens(h.deps)).identities).toBe(0);
  });

  it('purges the tokens of bindings once they are past their expiry, keeping the binding', async () => {
    const account = await h.registerAccount();
    const uid = await h.newWeiboUser();
    const login = await h.weiboLogin(uid);
    if (login.status !== 'bind_required') throw new Error('expected bind_required');
    await h.caller().weibo.bind({ ticket: login.ticket, account: account.account, password: account.password });
    const { token_expires_at } = await h.db
      .selectFrom('identities')
      .select('token_expires_at')
      .where('provider_uid', '=', uid)
      .executeTakeFirstOrThrow();
    expect(await purgeExpiredTokens(h.deps)).toBe(0);
    h.clock.advance(token_expires_at! - h.clock.now + 1);
    expect(await purgeExpiredTokens(h.deps)).toBeGreaterThanOrEqual(1);
    const after = await h.db.selectFrom('identities').select('access_token').where('provider_uid', '=', uid).executeTakeFirstOrThrow();
    expect(after.access_token).toBeNull();
    expect((await h.caller({ token: account.token }).auth.me()).identities).toHaveLength(1);
  });
});
