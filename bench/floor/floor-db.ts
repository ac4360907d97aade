/**
 * The floor's database access: the same statements the product runs for a bound user's Weibo
 * login, on the product's own schema, straight on the drivers (better-sqlite3 prepared
 * statements; a mysql2 pool sized for the load), with no query builder in between.
 */
import SQLite from 'better-sqlite3';
// The product's own row type: the floor writes the same sessions table (a type only, erased at run time).
import type { NewSessionRow } from '@weibo-login/api';
import { createPool } from 'mysql2/promise';

export interface StateRow {
  browser_hash: string;
  intent: string;
  redirect_to: string;
  expires_at: number;
}

export interface BoundIdentity {
  id: number;
  user_id: number;
  screen_name: string;
  avatar_url: string | null;
  token_expires_at: number | null;
  account: string;
  display_name: string | null;
  user_avatar_url: string | null;
  user_password_hash: string | null;
  user_disabled_at: number | null;
}

export interface FloorDb {
  insertState(id: string, browserHash: string, redirectTo: string, expiresAt: number): Promise<void>;
  findState(id: string): Promise<StateRow | undefined>;
  /** True when this call removed the row (the single-use check). */
  deleteState(id: string): Promise<boolean>;
  findIdentityWithUser(providerUid: string): Promise<BoundIdentity | undefined>;
  updateIdentity(
    id: number,
    screenName: string,
    avatarUrl: string | null,
    accessToken: string,
    tokenExpiresAt: number,
    now: number,
  ): Promise<void>;
  /** The sign-in audit event and the session row, in one transaction (as the product does). */
  recordSignIn(session: NewSessionRow, kind: string): Promise<void>;
  ping(): Promise<void>;
}

const SQL = {
  insertState: 'insert into oauth_states (id, browser_hash, intent, user_id, redirect_to, expires_at) values (?, ?, ?, null, ?, ?)',
  findState: 'select browser_hash, intent, redirect_to, expires_at from oauth_states where id = ?',
  deleteState: 'delete from oauth_states where id = ?',
  findIdentity:
    'select identities.id, identities.user_id, identities.screen_name, identities.avatar_url, identities.token_expires_at, ' +
    'users.account, users.display_name, users.avatar_url as user_avatar_url, users.password_hash as user_password_hash, ' +
    'users.disabled_at as user_disabled_at ' +
    "from identities inner join users on users.id = identities.user_id where identities.provider = 'weibo' and identities.provider_uid = ?",
  updateIdentity:
    'update identities set screen_name = ?, avatar_url = ?, access_token = ?, token_expires_at = ?, updated_at = ? where id = ?',
  insertEvent: 'insert into auth_events (user_id, account_key, kind, ip, user_agent, at) values (?, null, ?, ?, ?, ?)',
  insertSession:
    'insert into sessions (id, user_id, created_at, expires_at, ip, user_agent, method, last_used_at) values (?, ?, ?, ?, ?, ?, ?, ?)',
};

export function openFloorDb(databaseUrl: string): FloorDb {
  return databaseUrl.startsWith('mysql://') ? openMysql(databaseUrl) : openSqlite(databaseUrl.slice('sqlite:'.length));
}

function openSqlite(file: string): FloorDb {
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const statement = Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, sqlite.prepare(sql)])) as Record<
    keyof typeof SQL,
    SQLite.Statement
  >;
  const recordSignIn = sqlite.transaction((session: NewSessionRow, kind: string) => {
    statement.insertEvent.run(session.user_id, kind, session.ip, session.user_agent, session.created_at);
    statement.insertSession.run(
      session.id,
      session.user_id,
      session.created_at,
      session.expires_at,
      session.ip,
      session.user_agent,
      session.method,
      session.created_at,
    );
  });
  return {
    insertState: async (id, browserHash, redirectTo, expiresAt) =>
      void statement.insertState.run(id, browserHash, 'login', redirectTo, expiresAt),
    findState: async (id) => statement.findState.get(id) as StateRow | undefined,
    deleteState: async (id) => statement.deleteState.run(id).changes === 1,
    findIdentityWithUser: async (uid) => statement.findIdentity.get(uid) as BoundIdentity | undefined,
    updateIdentity: async (id, screenName, avatarUrl, accessToken, tokenExpiresAt, now) =>
      void statement.updateIdentity.run(screenName, avatarUrl, accessToken, tokenExpiresAt, now, id),
    recordSignIn: async (session, kind) => recordSignIn(session, kind),
    ping: async () => void sqlite.prepare('select 1').get(),
  };
}

function openMysql(url: string): FloorDb {
  const pool = createPool({ uri: url, connectionLimit: 32, enableKeepAlive: true, charset: 'utf8mb4' });
  const rows = async <T>(sql: string, params: unknown[]) => (await pool.query(sql, params))[0] as T[];
  const changed = async (sql: string, params: unknown[]) => ((await pool.query(sql, params))[0] as { affectedRows: number }).affectedRows;
  return {
    insertState: async (id, browserHash, redirectTo, expiresAt) =>
      void (await changed(SQL.insertState, [id, browserHash, 'login', redirectTo, expiresAt])),
    findState: async (id) => (await rows<StateRow>(SQL.findState, [id]))[0],
    deleteState: async (id) => (await changed(SQL.deleteState, [id])) === 1,
    findIdentityWithUser: async (uid) => (await rows<BoundIdentity>(SQL.findIdentity, [uid]))[0],
    updateIdentity: async (id, screenName, avatarUrl, accessToken, tokenExpiresAt, now) =>
      void (await changed(SQL.updateIdentity, [screenName, avatarUrl, accessToken, tokenExpiresAt, now, id])),
    async recordSignIn(session, kind) {
      const connection = await pool.getConnection();
      try {
        await connection.beginTransaction();
        await connection.query(SQL.insertEvent, [session.user_id, kind, session.ip, session.user_agent, session.created_at]);
        await connection.query(SQL.insertSession, [
          session.id,
          session.user_id,
          session.created_at,
          session.expires_at,
          session.ip,
          session.user_agent,
          session.method,
          session.created_at,
        ]);
        await connection.commit();
      } catch (error) {
        await connection.rollback();
        throw error;
      } finally {
        connection.release();
      }
    },
    ping: async () => void (await rows('select 1', [])),
  };
}
