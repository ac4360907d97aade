import type { ActivityKind } from '@weibo-login/shared';
import type { DbHandle } from '../../db/database.ts';
import { prepareQuery } from '../../db/prepared.ts';
import type { AuthEventRow } from './audit.table.ts';

export interface AuditEvent {
  kind: ActivityKind;
  userId: number | null;
  accountKey?: string | null;
  ip: string | null;
  userAgent: string | null;
  at: number;
  /** An operator's reason, for an operator's action. */
  reason?: string | null;
}

const insertEvent = prepareQuery(
  (
    db,
    userId: number | null,
    accountKey: string | null,
    kind: ActivityKind,
    ip: string | null,
    userAgent: string | null,
    at: number,
    reason: string | null,
  ) => db.insertInto('auth_events').values({ user_id: userId, account_key: accountKey, kind, ip, user_agent: userAgent, at, reason }),
);

export async function recordEvent(db: DbHandle, event: AuditEvent): Promise<void> {
  await insertEvent(db, event.userId, event.accountKey ?? null, event.kind, event.ip, event.userAgent, event.at, event.reason ?? null);
}

export async function listUserEvents(db: DbHandle, userId: number, limit: number): Promise<AuthEventRow[]> {
  return db
    .selectFrom('auth_events')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
