/** The readable name of a device ("Chrome · Windows", "微博 App · iPhone") in the current language. */
import { useI18n } from 'vue-i18n';
import { deviceKindOf } from '../lib/device-name.ts';

export function useDeviceName(): (userAgent: string | null | undefined) => string {
  const { t } = useI18n();
  return (userAgent) => {
    const kind = deviceKindOf(userAgent);
    if (!kind || (kind.browser === 'other' && !kind.system)) return t('devices.names.unknown');
    const browser = t(`devices.names.${kind.browser}`);
    return kind.system ? `${browser} · ${t(`devices.names.${kind.system}`)}` : browser;
  };
}
