/**
 * Frozen once landed. The account's life (second edition): an account may have no password (made
 * from Weibo, signs in with Weibo until it sets one) and may be disabled by an operator; a session
 * records how it signed in, when it was last used and until when it counts as re-authenticated;
 * an event may carry an operator's reason; revokes at Weibo that must still be made (after an
 * account is deleted) wait in an outbox that survives restarts.
 */
import { type Kysely, MysqlAdapter, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
  const bigint = mysql ? 'bigint' : 'integer';

  if (mysql) {
    await sql`alter table users modify password_hash varchar(60) null`.execute(db);
  } else {
    await rebuildSqliteUsersWithOptionalPassword(db);
  }
  await db.schema.alterTable('users').addColumn('disabled_at', bigint).execute();

  await db.schema
    .alterTable('sessions')
    .addColumn('method', 'varchar(16)', (c) => c.notNull().defaultTo('password'))
    .execute();
  await db.schema.alterTable('sessions').addColumn('last_used_at', bigint).execute();
  await db.schema.alterTable('sessions').addColumn('reauthenticated_until', bigint).execute();
  await db
    .updateTable('sessions')
    .set({ last_used_at: sql.ref('created_at') })
    .execute();
  // A Weibo sign-in wrote its event and its session with one clock reading: that is how it is told apart.
  await db
    .updateTable('sessions')
    .set({ method: 'weibo' })
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('auth_events as e')
          .select('e.id')
          .whereRef('e.user_id', '=', 'sessions.user_id')
          .whereRef('e.at', '=', 'sessions.created_at')
          .where('e.kind', '=', 'sign_in_weibo'),
      ),
    )
    .execute();

  await db.schema.alterTable('auth_events').addColumn('reason', 'varchar(255)').execute();

  let outbox = db.schema
    .createTable('weibo_revocations')
    .addColumn('id', 'char(32)', (c) => c.primaryKey())
    .addColumn('access_token', 'varchar(255)', (c) => c.notNull())
    .addColumn('token_expires_at', bigint, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', bigint, (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull());
  if (mysql) outbox = outbox.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`);
  await outbox.execute();
  await db.schema.createIndex('weibo_revocations_next_attempt_index').on('weibo_revocations').column('next_attempt_at').execute();
}

/**
 * SQLite cannot make a column nullable in place: the table is rebuilt (sqlite.org/lang_altertable.html,
 * "making other kinds of table schema changes"). Foreign keys are off meanwhile, as that page
 * says, so the identities and sessions that reference users are neither checked nor cascaded;
 * the new table takes the old one's name and its references with it. Migrations on SQLite run
 * outside a transaction (Kysely), so the pragma takes effect; the rebuild itself is one.
 */
async function rebuildSqliteUsersWithOptionalPassword(db: Kysely<any>): Promise<void> {
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await db.transaction().execute(async (trx) => {
      await sql`create table users_0004 (
        id integer primary key autoincrement,
        account varchar(32) not null,
        account_key varchar(128) not null,
        password_hash varchar(60),
        display_name varchar(255),
        avatar_url varchar(1024),
        created_at integer not null,
        updated_at integer not null,
        constraint users_account_key_unique unique (account_key)
      )`.execute(trx);
      await sql`insert into users_0004 (id, account, account_key, password_hash, display_name, avatar_url, created_at, updated_at)
        select id, account, account_key, password_hash, display_name, avatar_url, created_at, updated_at from users`.execute(trx);
      // AUTOINCREMENT never hands out an id again: the new table keeps the old one's high-water mark.
      await sql`delete from sqlite_sequence where name = 'users_0004'`.execute(trx);
      await sql`insert into sqlite_sequence (name, seq) select 'users_0004', seq from sqlite_sequence where name = 'users'`.execute(trx);
      await sql`drop table users`.execute(trx);
      await sql`alter table users_0004 rename to users`.execute(trx);
      const broken = await sql`pragma foreign_key_check`.execute(trx);
      if (broken.rows.length > 0) throw new Error(`0004: ${broken.rows.length} rows reference missing users`);
    });
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('weibo_revocations').execute();
  await db.schema.alterTable('auth_events').dropColumn('reason').execute();
  for (const column of ['reauthenticated_until', 'last_used_at', 'method'])
    await db.schema.alterTable('sessions').dropColumn(column).execute();
  await db.schema.alterTable('users').dropColumn('disabled_at').execute();
  // The password column stays nullable: accounts without one cannot be given one here.
}
