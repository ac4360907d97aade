import type { Identity } from '@weibo-login/shared';
import type { IdentityRow } from './identities.table.ts';

export function toIdentityDto(row: Pick<IdentityRow, 'provider_uid' | 'screen_name' | 'avatar_url' | 'bound_at'>): Identity {
  return {
    provider: 'weibo',
    uid: row.provider_uid,
    screenName: row.screen_name,
    avatarUrl: row.avatar_url,
    boundAt: new Date(row.bound_at).toISOString(),
  };
}
