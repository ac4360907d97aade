import type { Kysely, Transaction } from 'kysely';
import type { AuthEventsTable } from '../modules/audit/audit.table.ts';
import type { IdentitiesTable } from '../modules/identities/identities.table.ts';
import type { KnownBrowsersTable } from '../modules/passwords/known-browsers.table.ts';
import type { PasswordAttemptsTable } from '../modules/passwords/password-attempts.table.ts';
import type { SessionsTable } from '../modules/sessions/sessions.table.ts';
import type { UsersTable } from '../modules/users/users.table.ts';
import type { BindTicketsTable } from '../modules/weibo-login/bind-tickets.table.ts';
import type { WeiboRevocationsTable } from '../modules/weibo-login/weibo-revocations.table.ts';
import type { OAuthStatesTable } from '../oauth/oauth-state.table.ts';

/** Column names are snake_case in SQL and in these types; DTO mappers turn rows into camelCase. */
export interface Database {
  users: UsersTable;
  identities: IdentitiesTable;
  sessions: SessionsTable;
  oauth_states: OAuthStatesTable;
  bind_tickets: BindTicketsTable;
  password_attempts: PasswordAttemptsTable;
  known_browsers: KnownBrowsersTable;
  auth_events: AuthEventsTable;
  weibo_revocations: WeiboRevocationsTable;
}

export type Db = Kysely<Database>;
/** Repository functions take either the pool or a transaction as their first argument. */
export type DbHandle = Kysely<Database> | Transaction<Database>;
