/**
 * vue-i18n in composition mode. Simplified Chinese unless the visitor picked English before
 * (remembered in localStorage); the choice also sets <html lang> for screen readers and fonts.
 *
 * Only the core messages (sign-in, registration, errors) ship with the first page, in Chinese.
 * English is fetched when it is chosen, and the messages of the other pages (the Weibo return,
 * the account page) are parts fetched with those pages (`withMessages` in the router),
 * so that the sign-in page stays light however much the rest of the app says.
 */
import { createI18n } from 'vue-i18n';
import { readStored, writeStored } from '../lib/storage.ts';
import zhCN from './zh-CN.ts';

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export type MessageSchema = typeof zhCN;
type Messages = Record<string, unknown>;

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
  date: { year: 'numeric', month: 'long', day: 'numeric' },
} as const;

export const i18n = createI18n({
  legacy: false,
  locale: DEFAULT_LOCALE as string,
  fallbackLocale: DEFAULT_LOCALE,
  messages: { [DEFAULT_LOCALE]: zhCN } as Record<string, MessageSchema>,
  datetimeFormats: { 'zh-CN': dateTime, en: dateTime },
});

const coreLoaders: Record<Locale, () => Promise<Messages>> = {
  'zh-CN': async () => zhCN,
  en: async () => (await import('./en.ts')).default,
};

/** The messages of the pages the sign-in page does not need, each fetched with its pages. */
export type MessagePart = 'weibo' | 'account';
const partLoaders: Record<MessagePart, Record<Locale, () => Promise<Messages>>> = {
  weibo: {
    'zh-CN': async () => (await import('./lazy/weibo.zh-CN.ts')).default,
    en: async () => (await import('./lazy/weibo.en.ts')).default,
  },
  account: {
    'zh-CN': async () => (await import('./lazy/account.zh-CN.ts')).default,
    en: async () => (await import('./lazy/account.en.ts')).default,
  },
};

/** Parts some page has asked for: a language switch fetches them in the new language too. */
const wantedParts = new Set<MessagePart>();
/** `${locale}/${part}` already merged into vue-i18n's messages. */
const merged = new Set<string>([`${DEFAULT_LOCALE}/core`]);

async function mergeOnce(locale: Locale, part: MessagePart | 'core'): Promise<void> {
  const key = `${locale}/${part}`;
  if (merged.has(key)) return;
  const messages = await (part === 'core' ? coreLoaders[locale] : partLoaders[part][locale])();
  i18n.global.mergeLocaleMessage(locale, messages);
  merged.add(key);
}

function currentLocale(): Locale {
  const locale = i18n.global.locale.value;
  return isLocale(locale) ? locale : DEFAULT_LOCALE;
}

/** Makes a part's messages available in the current language. */
export async function loadMessages(part: MessagePart): Promise<void> {
  wantedParts.add(part);
  await mergeOnce(currentLocale(), part);
}

/** A route's lazy component, resolved once its messages are there too (no key shows untranslated). */
export function withMessages<T>(part: MessagePart, loadComponent: () => Promise<T>): () => Promise<T> {
  return async () => (await Promise.all([loadComponent(), loadMessages(part)]))[0];
}

function applyToDocument(locale: Locale): void {
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
}

/** Switches after the messages are there, so no key ever shows untranslated. */
export async function setLocale(locale: Locale, options: { remember?: boolean } = {}): Promise<void> {
  await Promise.all([mergeOnce(locale, 'core'), ...[...wantedParts].map((part) => mergeOnce(locale, part))]);
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
