import type { ActivityKind } from '@weibo-login/shared';
import type { DbHandle } from '../../db/database.ts';
import type { AuthEventRow } from './audit.table.ts';

export interface AuditEvent {
  kind: ActivityKind;
  userId: number | null;
  accountKey?: string | null;
  ip: string | null;
  userAgent: string | null;
  at: number;
}

export async function recordEvent(db: DbHandle, event: AuditEvent): Promise<void> {
  await db
    .insertInto('auth_events')
    .values({ user_id: event.userId, account_key: event.accountKey ?? null, kind: event.kind, ip: event.ip, user_agent: event.userAgent, at: event.at })
    .execute();
}

export async function listUserEvents(db: DbHandle, userId: number, limit: number): Promise<AuthEventRow[]> {
  return db.selectFrom('auth_events').selectAll().where('user_id', '=', userId).orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
