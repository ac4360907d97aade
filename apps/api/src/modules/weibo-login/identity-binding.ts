/** Binding a provider account to a user, shared by bind, register and connect. */
import type { DbHandle } from '../../db/database.ts';
import { violatedUniqueIndex } from '../../db/errors.ts';
import { AppError } from '../../errors.ts';
import type { ProviderProfile } from '../../oauth/provider.ts';
import { insertIdentity } from '../identities/identities.repository.ts';
import type { IdentityRow } from '../identities/identities.table.ts';
import { updateUserProfile } from '../users/users.repository.ts';
import type { UserRow } from '../users/users.table.ts';

export interface Grant {
  provider: string;
  profile: ProviderProfile;
  /** Sealed (deps.tokens.seal): stored as it is. */
  sealedAccessToken: string;
  tokenExpiresAt: number;
}

/** Inserts the binding; the two unique indexes decide races and give the reason. */
export async function bindIdentity(trx: DbHandle, user: UserRow, grant: Grant, now: number): Promise<IdentityRow> {
  let identity: IdentityRow;
  try {
    identity = await insertIdentity(trx, {
      user_id: user.id,
      provider: grant.provider,
      provider_uid: grant.profile.uid,
      screen_name: grant.profile.screenName,
      avatar_url: grant.profile.avatarUrl,
      access_token: grant.sealedAccessToken,
      token_expires_at: grant.tokenExpiresAt,
      bound_at: now,
      updated_at: now,
    });
  } catch (error) {
    const index = violatedUniqueIndex(error);
    if (index === 'identities_provider_uid_unique') throw new AppError('WEIBO_ALREADY_BOUND', {}, { cause: error });
    if (index === 'identities_user_provider_unique') throw new AppError('ACCOUNT_ALREADY_BOUND', {}, { cause: error });
    throw error;
  }
  // An account without a name or picture of its own takes Weibo's.
  if (user.display_name === null || user.avatar_url === null) {
    const profile = { display_name: user.display_name ?? grant.profile.screenName, avatar_url: user.avatar_url ?? grant.profile.avatarUrl };
    await updateUserProfile(trx, user.id, profile, now);
    Object.assign(user, profile);
  }
  return identity;
}
