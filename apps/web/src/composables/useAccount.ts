/**
 * The account page's data: who is signed in, their Weibo binding and recent activity, loaded
 * together; and unbinding, which re-checks the password.
 */
import { computed, shallowRef } from 'vue';
import type { ActivityEvent, Identity, User } from '@weibo-login/shared';
import { loadApi } from '../lib/load-api.ts';

export function useAccount() {
  const user = shallowRef<User | null>(null);
  const identities = shallowRef<Identity[]>([]);
  const events = shallowRef<ActivityEvent[]>([]);
  const weibo = computed(() => identities.value.find((identity) => identity.provider === 'weibo') ?? null);

  async function load(): Promise<void> {
    const api = await loadApi();
    const [me, activity] = await Promise.all([api.auth.me.query(), api.auth.activity.query()]);
    user.value = me.user;
    identities.value = me.identities;
    events.value = activity.events;
  }

  async function unbindWeibo(password: string): Promise<void> {
    const api = await loadApi();
    await api.weibo.unbind.mutate({ password });
    await load();
  }

  return { user, identities, weibo, events, load, unbindWeibo };
}
