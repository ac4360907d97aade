/**
 * vue-i18n in composition mode. Simplified Chinese unless the visitor picked English before
 * (remembered in localStorage); the choice also sets <html lang> for screen readers and fonts.
 * Only Chinese ships with the first page; English is fetched when it is chosen.
 */
import { createI18n } from 'vue-i18n';
import { readStored, writeStored } from '../lib/storage.ts';
import zhCN from './zh-CN.ts';

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export type MessageSchema = typeof zhCN;

const STORAGE_KEY = 'weibo-login.locale';
const DEFAULT_LOCALE: Locale = 'zh-CN';

function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

export function rememberedLocale(): Locale {
  const stored = readStored('local', STORAGE_KEY);
  return isLocale(stored) ? stored : DEFAULT_LOCALE;
}

const dateTime = {
  long: { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' },
} as const;

export const i18n = createI18n({
  legacy: false,
  locale: DEFAULT_LOCALE as string,
  fallbackLocale: DEFAULT_LOCALE,
  messages: { [DEFAULT_LOCALE]: zhCN } as Record<string, MessageSchema>,
  datetimeFormats: { 'zh-CN': dateTime, en: dateTime },
});

const loaders: Record<Locale, () => Promise<MessageSchema>> = {
  'zh-CN': async () => zhCN,
  en: async () => (await import('./en.ts')).default,
};

async function ensureMessages(locale: Locale): Promise<void> {
  if (i18n.global.availableLocales.includes(locale)) return;
  i18n.global.setLocaleMessage(locale, await loaders[locale]());
}

function applyToDocument(locale: Locale): void {
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
}

/** Switches after the messages are there, so no key ever shows untranslated. */
export async function setLocale(locale: Locale, options: { remember?: boolean } = {}): Promise<void> {
  await ensureMessages(locale);
  i18n.global.locale.value = locale;
  applyToDocument(locale);
  // Without storage: not remembered, but still switched for this page.
  if (options.remember !== false) writeStored('local', STORAGE_KEY, locale);
}

/** Before mounting: the remembered language, or the default. */
export async function initLocale(): Promise<void> {
  const locale = rememberedLocale();
  try {
    await setLocale(locale, { remember: false });
  } catch {
    // English could not be fetched: start in Chinese rather than not at all.
    await setLocale(DEFAULT_LOCALE, { remember: false });
  }
}
