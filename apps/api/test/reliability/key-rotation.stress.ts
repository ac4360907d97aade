/**
 * (2e) Rotating the keys without downtime, with two API processes on one MySQL database: one is
 * restarted with a new JWT_SECRET (the old one in JWT_PREVIOUS_SECRETS) and a new
 * DATA_ENCRYPTION_KEY (the old one in DATA_ENCRYPTION_PREVIOUS_KEYS). Sessions issued before still
 * work on both; the Weibo token stored before is still opened (a revocation hint's check reaches
 * Weibo with the right token) and is sealed anew under the new key; new sessions carry the new
 * key's id. Once the old keys are dropped, the old sessions stop working and nothing stored is lost.
 */
import { createHash } from 'node:crypto';
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import { DEMO_APP } from '@weibo-login/weibo-sim';
import jwt from 'jsonwebtoken';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyIdOf } from '../../src/crypto/jwt.ts';
import { dataKeyIdOf } from '../../src/crypto/token-cipher.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.ts';
import { REDIRECT_URI, startSimulator } from '../support/harness.ts';
import { type ApiProcess, apiEnv, spawnApi } from '../support/api-process.ts';
import { Browser, call } from '../support/http.ts';

const OLD_SECRET = 'rotation-old-secret-0123456789abcdef-0123';
const NEW_SECRET = 'rotation-new-secret-fedcba9876543210-9876';
const OLD_DATA_KEY = createHash('sha256').update('old data key').digest();
const NEW_DATA_KEY = createHash('sha256').update('new data key').digest();
const hex = (key: Buffer) => key.toString('hex');

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!DIALECTS.includes('mysql'))('rotating JWT_SECRET and DATA_ENCRYPTION_KEY with two processes', () => {
  let sim: WeiboSimulator;
  let db: TestDatabase;
  let a: ApiProcess;
  let b: ApiProcess;
  const env = (keys: Record<string, string>) =>
    apiEnv(sim.url, { DATABASE_URL: db.config.kind === 'mysql' ? db.config.url : '', LOG_LEVEL: 'warn', ...keys });
  const oldKeys = { JWT_SECRET: OLD_SECRET, DATA_ENCRYPTION_KEY: hex(OLD_DATA_KEY) };
  const storedTokens = async () => {
    const connection = await createConnection({ uri: db.config.kind === 'mysql' ? db.config.url : '' });
    const [rows] = await connection.query('select provider_uid, access_token from identities');
    await connection.end();
    return rows as { provider_uid: string; access_token: string | null }[];
  };

  beforeAll(async () => {
    sim = await startSimulator();
    db = await createTestDatabase('mysql');
    [a, b] = await Promise.all([spawnApi(env(oldKeys)), spawnApi(env(oldKeys))]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
    await sim?.close();
  });

  it('keeps sessions and stored tokens working across the rotation, then drops the old keys', async () => {
    // Before: a session and a bound Weibo, under the old keys.
    const browser = new Browser(a.url);
    const account = `rot_${Date.now().toString(36)}`;
    const registered = await browser.call<{ session: { token: string } }>('auth.register', { account, password: 'rotation password' });
    const oldSession = registered.data.session.token;
    expect(jwt.decode(oldSession, { complete: true })!.header.kid).toBe(keyIdOf(OLD_SECRET));
    const uid = (await sim.control.createUser({ screenName: '轮换' })).uid;
    const { data: authorize } = await browser.call<{ state: string }>('weibo.authorizeUrl');
    const ticketed = await browser.call<{ ticket: string }>('weibo.finish', {
      code: await sim.control.mintCode({ uid, redirectUri: REDIRECT_URI }),
      state: authorize.state,
    });
    expect((await browser.call('weibo.bind', { ticket: ticketed.data.ticket, account, password: 'rotation password' })).reason).toBe('ok');
    expect((await storedTokens())[0]!.access_token).toMatch(new RegExp(`^wlenc1\\.${dataKeyIdOf(OLD_DATA_KEY)}\\.`));

    // B restarts with the new keys, the old ones kept as previous.
    await b.stop();
    b = await spawnApi(
      env({
        JWT_SECRET: NEW_SECRET,
        JWT_PREVIOUS_SECRETS: OLD_SECRET,
        DATA_ENCRYPTION_KEY: hex(NEW_DATA_KEY),
        DATA_ENCRYPTION_PREVIOUS_KEYS: hex(OLD_DATA_KEY),
      }),
    );
    for (const api of [a, b]) expect((await call(api.url, 'auth.me', undefined, { token: oldSession })).reason, api.url).toBe('ok');
    // New sessions carry the new key's id.
    const signedIn = await call<{ session: { token: string } }>(b.url, 'auth.login', { account, password: 'rotation password' });
    const newSession = signedIn.data.session.token;
    expect(jwt.decode(newSession, { complete: true })!.header.kid).toBe(keyIdOf(NEW_SECRET));
    expect((await call(b.url, 'auth.me', undefined, { token: newSession })).reason).toBe('ok');
    // The stored token is sealed anew under the new key at B's start.
    await until(
      async () => (await storedTokens())[0]!.access_token!.startsWith(`wlenc1.${dataKeyIdOf(NEW_DATA_KEY)}.`),
      'the token sealed anew',
    );

    // Weibo says the grant was revoked: B's check opens the stored token and asks Weibo with it.
    await sim.control.revokeTokens({ uid });
    const checksBefore = (await sim.control.stats()).requests.get_token_info ?? 0;
    await fetch(`${b.url}/api/weibo/revoked?source=${DEMO_APP.clientId}&uid=${uid}&auth_end=1`);
    await until(async () => (await storedTokens()).length === 0, 'the binding removed once Weibo confirmed');
    expect((await sim.control.stats()).requests.get_token_info).toBe(checksBefore + 1);

    // The old keys are dropped: the old session stops working; the new one and the data remain.
    await b.stop();
    b = await spawnApi(env({ JWT_SECRET: NEW_SECRET, DATA_ENCRYPTION_KEY: hex(NEW_DATA_KEY) }));
    expect((await call(b.url, 'auth.me', undefined, { token: oldSession })).reason).toBe('UNAUTHENTICATED');
    expect((await call(b.url, 'auth.me', undefined, { token: newSession })).reason).toBe('ok');
    expect((await call(b.url, 'auth.login', { account, password: 'rotation password' })).reason).toBe('ok');
  });
});
