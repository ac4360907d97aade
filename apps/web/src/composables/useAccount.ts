/**
 * The account page's data, loaded together (who is signed in, their Weibo binding, devices and
 * recent activity), and the account's actions (CONTRACT §3, 2e). Each action reloads what it
 * changed; the views decide what to confirm and when to ask for a re-authentication.
 */
import { computed, shallowRef } from 'vue';
import type { ActivityEvent, Device, Identity, User } from '@weibo-login/shared';
import { toUiError, type UiError } from '../lib/errors.ts';
import { loadApi } from '../lib/load-api.ts';
import { downloadJson } from '../lib/download.ts';
import { dropSession } from '../lib/stored-session.ts';

export function useAccount() {
  const user = shallowRef<User | null>(null);
  const identities = shallowRef<Identity[]>([]);
  const events = shallowRef<ActivityEvent[]>([]);
  const devices = shallowRef<Device[] | null>(null);
  /** The devices are shown apart: the rest of the page works without them. */
  const devicesError = shallowRef<UiError | null>(null);
  const weibo = computed(() => identities.value.find((identity) => identity.provider === 'weibo') ?? null);
  const otherDevices = computed(() => devices.value?.filter((device) => !device.current) ?? []);

  async function loadDevices(): Promise<void> {
    const api = await loadApi();
    try {
      devices.value = (await api.account.devices.query()).devices;
      devicesError.value = null;
    } catch (caught) {
      devicesError.value = toUiError(caught);
    }
  }

  async function load(): Promise<void> {
    const api = await loadApi();
    const [me, activity] = await Promise.all([api.auth.me.query(), api.auth.activity.query(), loadDevices()]);
    user.value = me.user;
    identities.value = me.identities;
    events.value = activity.events;
  }

  async function reloadActivity(): Promise<void> {
    const api = await loadApi();
    events.value = (await api.auth.activity.query()).events;
  }

  async function unbindWeibo(password: string): Promise<void> {
    const api = await loadApi();
    await api.weibo.unbind.mutate({ password });
    await load();
  }

  /** Changes the password (with the current one) or sets the first one (after a re-authentication). */
  async function setPassword(input: { currentPassword?: string; newPassword: string }): Promise<void> {
    const api = await loadApi();
    await api.account.setPassword.mutate(input);
    await load();
  }

  async function signOutDevice(id: string): Promise<void> {
    const api = await loadApi();
    await api.account.signOutDevice.mutate({ id });
    await Promise.all([loadDevices(), reloadActivity()]);
  }

  /** Every device but this one, one by one (auth.logout everywhere would end this one too); a
   * device that signed out meanwhile is already where it should be. */
  async function signOutOtherDevices(): Promise<void> {
    const api = await loadApi();
    try {
      for (const device of otherDevices.value) {
        try {
          await api.account.signOutDevice.mutate({ id: device.id });
        } catch (caught) {
          if (toUiError(caught).reason !== 'DEVICE_NOT_FOUND') throw caught;
        }
      }
    } finally {
      await Promise.all([loadDevices(), reloadActivity()]);
    }
  }

  /** Saves everything the API holds about the account as a JSON file. */
  async function exportData(): Promise<void> {
    const api = await loadApi();
    const data = await api.account.export.query();
    const day = data.exportedAt.slice(0, 10);
    downloadJson(`${data.user.account}-${day}.json`, data);
  }

  /** Deletes the account (with its password, or after a re-authentication); this browser forgets the session. */
  async function deleteAccount(password?: string): Promise<void> {
    const api = await loadApi();
    await api.account.delete.mutate(password === undefined ? {} : { password });
    dropSession();
  }

  return {
    user,
    identities,
    weibo,
    events,
    devices,
    devicesError,
    otherDevices,
    load,
    loadDevices,
    unbindWeibo,
    setPassword,
    signOutDevice,
    signOutOtherDevices,
    exportData,
    deleteAccount,
  };
}
