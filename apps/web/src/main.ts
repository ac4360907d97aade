import { createApp } from 'vue';
import { createWebHistory } from 'vue-router';
import App from './App.vue';
import { createAppRouter } from './router/index.ts';
import { i18n, initLocale } from './i18n/index.ts';
import { loadSiteInfo } from './lib/site.ts';
import './styles/main.css';
import './styles/controls.css';

// The site's name and links arrive while the page starts; nothing waits for them.
void loadSiteInfo();
// The remembered language is in place before the first render, so nothing flashes in Chinese.
await initLocale();
createApp(App)
  .use(i18n)
  .use(createAppRouter(createWebHistory(import.meta.env.BASE_URL)))
  .mount('#app');
