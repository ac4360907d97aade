import type { TokenCipher } from '../../crypto/token-cipher.ts';
import type { DbHandle } from '../../db/database.ts';
import type { ProviderProfile, ProviderToken } from '../../oauth/provider.ts';
import { type IdentityWithUser, updateIdentity } from '../identities/identities.repository.ts';
import { updateUserProfile } from '../users/users.repository.ts';
import type { UserDtoSource } from '../users/users.dto.ts';

/**
 * On each Weibo login: keep the stored profile in step with Weibo, and the stored access token
 * fresh enough to ask Weibo about later. Writes nothing when nothing changed, so the common
 * login is reads plus the session insert.
 */
export async function refreshBoundProfile(
  trx: DbHandle,
  tokens: TokenCipher,
  bound: IdentityWithUser,
  token: ProviderToken,
  profile: ProviderProfile | null,
  now: number,
): Promise<UserDtoSource> {
  const user: UserDtoSource = {
    id: bound.user_id,
    account: bound.account,
    display_name: bound.display_name,
    avatar_url: bound.user_avatar_url,
    password_hash: bound.user_password_hash,
  };
  const screenName = profile?.screenName ?? bound.screen_name;
  const avatarUrl = profile ? profile.avatarUrl : bound.avatar_url;
  const profileChanged = screenName !== bound.screen_name || avatarUrl !== bound.avatar_url;
  // Replace the stored token once it has used up half of what the new one offers.
  const tokenStale = bound.access_token === null || (bound.token_expires_at ?? 0) < now + (token.expiresAt - now) / 2;
  if (profileChanged || tokenStale) {
    // Written only if no other sign-in has since: parallel sign-ins of one account (on several
    // instances or database nodes) would otherwise all write this row, and lose at commit.
    await updateIdentity(
      trx,
      bound.id,
      {
        screen_name: screenName,
        avatar_url: avatarUrl,
        ...(tokenStale ? { access_token: tokens.seal(token.accessToken), token_expires_at: token.expiresAt } : {}),
        updated_at: now,
      },
      bound.updated_at,
    );
  }
  // The account's own name and picture follow Weibo where they were Weibo's to begin with.
  const displayName = user.display_name === bound.screen_name || user.display_name === null ? screenName : user.display_name;
  const userAvatar = user.avatar_url === bound.avatar_url || user.avatar_url === null ? avatarUrl : user.avatar_url;
  if (displayName !== user.display_name || userAvatar !== user.avatar_url) {
    await updateUserProfile(trx, user.id, { display_name: displayName, avatar_url: userAvatar }, now, bound.user_updated_at);
    user.display_name = displayName;
    user.avatar_url = userAvatar;
  }
  return user;
}
