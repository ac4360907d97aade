/**
 * Frozen once landed. Bounded work (issue "one request must never take the service down"):
 * outstanding OAuth states are counted per browser and per address, a bind ticket names the
 * browser it was issued to, browsers that signed in to an account are remembered (so a lock-out
 * made by strangers does not lock the owner's own browser out), and old events can be swept by
 * time. No foreign keys: rows are deleted explicitly by the services.
 */
import { type Kysely, MysqlAdapter, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
  const bigint = mysql ? 'bigint' : 'integer';

  await db.schema.alterTable('oauth_states').addColumn('address_key', 'varchar(64)').execute();
  await db.schema.createIndex('oauth_states_browser_index').on('oauth_states').columns(['browser_hash', 'expires_at']).execute();
  await db.schema.createIndex('oauth_states_address_index').on('oauth_states').columns(['address_key', 'expires_at']).execute();

  await db.schema.alterTable('bind_tickets').addColumn('browser_hash', 'char(64)').execute();

  let knownBrowsers = db.schema
    .createTable('known_browsers')
    .addColumn('user_id', bigint, (c) => (mysql ? c.notNull().unsigned() : c.notNull()))
    .addColumn('browser_hash', 'char(64)', (c) => c.notNull())
    .addColumn('last_seen_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('known_browsers_pk', ['user_id', 'browser_hash']);
  if (mysql) knownBrowsers = knownBrowsers.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`);
  await knownBrowsers.execute();
  await db.schema.createIndex('known_browsers_last_seen_index').on('known_browsers').column('last_seen_at').execute();

  await db.schema.createIndex('auth_events_at_index').on('auth_events').column('at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('auth_events_at_index').on('auth_events').execute();
  await db.schema.dropTable('known_browsers').execute();
  await db.schema.alterTable('bind_tickets').dropColumn('browser_hash').execute();
  await db.schema.dropIndex('oauth_states_address_index').on('oauth_states').execute();
  await db.schema.dropIndex('oauth_states_browser_index').on('oauth_states').execute();
  await db.schema.alterTable('oauth_states').dropColumn('address_key').execute();
}
