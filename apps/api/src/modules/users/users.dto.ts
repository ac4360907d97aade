import type { User } from '@weibo-login/shared';
import type { UserRow } from './users.table.ts';

export function toUserDto(row: Pick<UserRow, 'id' | 'account' | 'display_name' | 'avatar_url'>): User {
  return { id: String(row.id), account: row.account, displayName: row.display_name, avatarUrl: row.avatar_url };
}
