/**
 * A one-time notice carried across a navigation ("已解除绑定", "你已退出登录"): set before
 * router.push, taken (and cleared) by the next page. Held in memory only; a reload forgets it,
 * which is what a one-time notice should do.
 */
import { shallowRef } from 'vue';

export interface Flash {
  tone: 'info' | 'success' | 'error';
  /** An i18n key and its parameters, so the notice follows a language switch. */
  key: string;
  params?: Record<string, string>;
}

const pending = shallowRef<Flash | null>(null);

export function setFlash(flash: Flash): void {
  pending.value = flash;
}

export function takeFlash(): Flash | null {
  const flash = pending.value;
  pending.value = null;
  return flash;
}
