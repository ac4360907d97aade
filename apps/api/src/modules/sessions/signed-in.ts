import type { Session, SignedIn } from '@weibo-login/shared';
import { toUserDto } from '../users/users.dto.ts';
import type { UserRow } from '../users/users.table.ts';

export function toSignedIn(
  user: Pick<UserRow, 'id' | 'account' | 'display_name' | 'avatar_url'>,
  session: Session,
  redirectTo: string,
): SignedIn {
  return { status: 'signed_in', session, user: toUserDto(user), redirectTo };
}
