/** Every test starts signed out, in Chinese, with empty storage. */
import { afterEach, beforeEach } from 'vitest';
import { enableAutoUnmount } from '@vue/test-utils';
import { dropSession } from '../../src/lib/stored-session.ts';
import { takeFlash } from '../../src/lib/flash.ts';
import { setLocale } from '../../src/i18n/index.ts';

enableAutoUnmount(afterEach);

beforeEach(async () => {
  localStorage.clear();
  sessionStorage.clear();
  dropSession();
  takeFlash();
  await setLocale('zh-CN', { remember: false });
  window.history.replaceState(null, '', '/');
});

// Loaded on first focus in the app; loaded once up front here so that no test races the import.
await import('../../src/lib/lazy-validation.ts').then((module) => module.loadValidation());
