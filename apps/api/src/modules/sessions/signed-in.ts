import type { Session, SignedIn } from '@weibo-login/shared';
import { toUserDto, type UserDtoSource } from '../users/users.dto.ts';

export function toSignedIn(user: UserDtoSource, session: Session, redirectTo: string): SignedIn {
  return { status: 'signed_in', session, user: toUserDto(user), redirectTo };
}
