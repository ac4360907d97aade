/**
 * Frozen once landed: a later change is a new migration. Takes Kysely<any> and imports nothing
 * from src, so it keeps working whatever the app's types become. Runs on MySQL and SQLite.
 */
import { type CreateTableBuilder, type Kysely, MysqlAdapter, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
  // SQLite only auto-increments a column typed exactly INTEGER PRIMARY KEY; MySQL wants BIGINT.
  const idType = mysql ? 'bigint' : 'integer';
  const bigint = mysql ? 'bigint' : 'integer';
  // Binary collation on MySQL: comparisons and unique keys are exact, as they are on SQLite.
  const table = <T extends string>(t: CreateTableBuilder<T, never>) =>
    mysql ? t.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`) : t;
  const id = (c: any) => (mysql ? c.primaryKey().autoIncrement().unsigned() : c.primaryKey().autoIncrement());
  const userRef = (c: any) => (mysql ? c.notNull().unsigned() : c.notNull());

  await table(
    db.schema
      .createTable('users')
      .addColumn('id', idType, id)
      .addColumn('account', 'varchar(32)', (c) => c.notNull())
      .addColumn('account_key', 'varchar(128)', (c) => c.notNull())
      .addColumn('password_hash', 'varchar(60)', (c) => c.notNull())
      .addColumn('display_name', 'varchar(255)')
      .addColumn('avatar_url', 'varchar(1024)')
      .addColumn('created_at', bigint, (c) => c.notNull())
      .addColumn('updated_at', bigint, (c) => c.notNull())
      .addUniqueConstraint('users_account_key_unique', ['account_key']),
  ).execute();

  await table(
    db.schema
      .createTable('identities')
      .addColumn('id', idType, id)
      .addColumn('user_id', bigint, (c) => userRef(c).references('users.id').onDelete('cascade'))
      .addColumn('provider', 'varchar(16)', (c) => c.notNull())
      .addColumn('provider_uid', 'varchar(64)', (c) => c.notNull())
      .addColumn('screen_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('avatar_url', 'varchar(1024)')
      .addColumn('access_token', 'varchar(255)')
      .addColumn('token_expires_at', bigint)
      .addColumn('bound_at', bigint, (c) => c.notNull())
      .addColumn('updated_at', bigint, (c) => c.notNull())
      .addUniqueConstraint('identities_provider_uid_unique', ['provider', 'provider_uid'])
      .addUniqueConstraint('identities_user_provider_unique', ['user_id', 'provider']),
  ).execute();

  await table(
    db.schema
      .createTable('sessions')
      .addColumn('id', 'char(32)', (c) => c.primaryKey())
      .addColumn('user_id', bigint, (c) => userRef(c).references('users.id').onDelete('cascade'))
      .addColumn('created_at', bigint, (c) => c.notNull())
      .addColumn('expires_at', bigint, (c) => c.notNull())
      .addColumn('ip', 'varchar(64)')
      .addColumn('user_agent', 'varchar(512)'),
  ).execute();
  await db.schema.createIndex('sessions_user_id_index').on('sessions').column('user_id').execute();
  await db.schema.createIndex('sessions_expires_at_index').on('sessions').column('expires_at').execute();

  await table(
    db.schema
      .createTable('oauth_states')
      .addColumn('id', 'char(64)', (c) => c.primaryKey())
      .addColumn('browser_hash', 'char(64)', (c) => c.notNull())
      .addColumn('intent', 'varchar(16)', (c) => c.notNull())
      .addColumn('user_id', bigint)
      .addColumn('redirect_to', 'varchar(512)', (c) => c.notNull())
      .addColumn('expires_at', bigint, (c) => c.notNull()),
  ).execute();
  await db.schema.createIndex('oauth_states_expires_at_index').on('oauth_states').column('expires_at').execute();

  await table(
    db.schema
      .createTable('bind_tickets')
      .addColumn('id', 'char(32)', (c) => c.primaryKey())
      .addColumn('provider', 'varchar(16)', (c) => c.notNull())
      .addColumn('provider_uid', 'varchar(64)', (c) => c.notNull())
      .addColumn('screen_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('avatar_url', 'varchar(1024)')
      .addColumn('access_token', 'varchar(255)', (c) => c.notNull())
      .addColumn('token_expires_at', bigint, (c) => c.notNull())
      .addColumn('redirect_to', 'varchar(512)', (c) => c.notNull())
      .addColumn('expires_at', bigint, (c) => c.notNull()),
  ).execute();
  await db.schema.createIndex('bind_tickets_expires_at_index').on('bind_tickets').column('expires_at').execute();

  await table(
    db.schema
      .createTable('password_attempts')
      .addColumn('id', idType, id)
      .addColumn('account_key', 'varchar(128)', (c) => c.notNull())
      .addColumn('ip', 'varchar(64)', (c) => c.notNull())
      .addColumn('at', bigint, (c) => c.notNull()),
  ).execute();
  await db.schema.createIndex('password_attempts_account_index').on('password_attempts').columns(['account_key', 'at']).execute();
  await db.schema.createIndex('password_attempts_ip_index').on('password_attempts').columns(['ip', 'at']).execute();
  await db.schema.createIndex('password_attempts_at_index').on('password_attempts').column('at').execute();

  await table(
    db.schema
      .createTable('auth_events')
      .addColumn('id', idType, id)
      .addColumn('user_id', bigint, (c) => (mysql ? c.unsigned() : c))
      .addColumn('account_key', 'varchar(128)')
      .addColumn('kind', 'varchar(32)', (c) => c.notNull())
      .addColumn('ip', 'varchar(64)')
      .addColumn('user_agent', 'varchar(512)')
      .addColumn('at', bigint, (c) => c.notNull()),
  ).execute();
  await db.schema.createIndex('auth_events_user_index').on('auth_events').columns(['user_id', 'at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of ['auth_events', 'password_attempts', 'bind_tickets', 'oauth_states', 'sessions', 'identities', 'users']) {
    await db.schema.dropTable(name).ifExists().execute();
  }
}
