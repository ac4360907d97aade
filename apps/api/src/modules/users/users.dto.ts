import type { User } from '@weibo-login/shared';
import type { UserRow } from './users.table.ts';

/** The columns a User is made of (the hash only to say whether there is one). */
export type UserDtoSource = Pick<UserRow, 'id' | 'account' | 'display_name' | 'avatar_url' | 'password_hash'>;

export function toUserDto(row: UserDtoSource): User {
  return {
    id: String(row.id),
    account: row.account,
    displayName: row.display_name,
    avatarUrl: row.avatar_url,
    hasPassword: row.password_hash !== null,
  };
}
