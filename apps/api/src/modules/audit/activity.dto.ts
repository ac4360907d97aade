import type { ActivityEvent } from '@weibo-login/shared';
import type { AuthEventRow } from './audit.table.ts';

export function toActivityEvent(row: AuthEventRow): ActivityEvent {
  return { kind: row.kind, at: new Date(row.at).toISOString(), ip: row.ip, userAgent: row.user_agent, reason: row.reason };
}
