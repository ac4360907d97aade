/**
 * For the operator's tool's suites (admin*.test.ts): accounts in the shapes an operator meets them
 * (a password and a Weibo bound, Weibo only), built through the real flows, and what must never
 * appear in anything the tool prints.
 */
import { expect } from 'vitest';
import type { Db } from '../../src/db/database.ts';

/** The callers and the simulator an account is built with: the harness, or the tool's world. */
export interface AccountMaker {
  db: Db;
  newBrowser(): string;
  newWeiboUser(screenName?: string): Promise<string>;
  weiboLogin(
    uid: string,
    browserId?: string,
  ): Promise<{ status: 'signed_in'; session: { token: string } } | { status: 'bind_required'; ticket: string }>;
  registerAccount(account?: string, password?: string): Promise<{ account: string; password: string; token: string; userId: string }>;
  caller(options?: { browserId?: string | null; token?: string }): {
    weibo: {
      bind(input: { ticket: string; account: string; password: string }): Promise<{ session: { token: string } }>;
      register(input: { ticket: string }): Promise<{ session: { token: string }; user: { id: string; account: string } }>;
    };
  };
}

export interface MadeAccount {
  account: string;
  userId: number;
  password: string | null;
  uid: string | null;
  /** Session tokens of the account (JWTs): each must die when the operator ends its sessions. */
  tokens: string[];
  /** The stored Weibo token as the database holds it (whatever its form at rest), or null. */
  storedWeiboToken: string | null;
}

async function storedToken(db: Db, uid: string): Promise<string | null> {
  const row = await db.selectFrom('identities').select('access_token').where('provider_uid', '=', uid).executeTakeFirstOrThrow();
  return row.access_token;
}

/** An account with a password and a Weibo bound (bound through weibo.bind), signed in twice: by password and by Weibo. */
export async function accountWithWeibo(w: AccountMaker, screenName = '运营测试'): Promise<MadeAccount & { uid: string }> {
  const account = await w.registerAccount();
  const uid = await w.newWeiboUser(screenName);
  const browserId = w.newBrowser();
  const login = await w.weiboLogin(uid, browserId);
  if (login.status !== 'bind_required') throw new Error('expected bind_required');
  const bound = await w.caller({ browserId }).weibo.bind({ ticket: login.ticket, account: account.account, password: account.password });
  return {
    account: account.account,
    userId: Number(account.userId),
    password: account.password,
    uid,
    tokens: [account.token, bound.session.token],
    storedWeiboToken: await storedToken(w.db, uid),
  };
}

/** An account made from Weibo, without a password (weibo.register with no name). */
export async function weiboOnlyAccount(w: AccountMaker): Promise<MadeAccount & { uid: string }> {
  const uid = await w.newWeiboUser('只用微博');
  const browserId = w.newBrowser();
  const login = await w.weiboLogin(uid, browserId);
  if (login.status !== 'bind_required') throw new Error('expected bind_required');
  const made = await w.caller({ browserId }).weibo.register({ ticket: login.ticket });
  return {
    account: made.user.account,
    userId: Number(made.user.id),
    password: null,
    uid,
    tokens: [made.session.token],
    storedWeiboToken: await storedToken(w.db, uid),
  };
}

/** A Weibo access token as Weibo (and the simulator) hands them out: `2.00` and 28 letters or digits. */
const WEIBO_ACCESS_TOKEN = /2\.00[A-Za-z0-9]{28}/;

/** Nothing secret in the text: no session JWT of the account, no stored or raw Weibo token, no bcrypt hash. */
export function expectNoSecrets(text: string, account: MadeAccount): void {
  for (const token of account.tokens) expect(text).not.toContain(token);
  if (account.storedWeiboToken !== null) expect(text).not.toContain(account.storedWeiboToken);
  expect(text).not.toMatch(WEIBO_ACCESS_TOKEN);
  expect(text).not.toContain('$2');
  // No JWT at all (three base64url parts, the first a JSON header).
  expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
}
