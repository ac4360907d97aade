import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

/** Where the dev server forwards `/trpc` and `/api` (CONTRACT §1); the browser suite points it
 * at the API it starts on a free port. */
const apiOrigin = process.env.API_ORIGIN ?? 'http://127.0.0.1:3000';

/** The app's own modules every page needs, the sign-in page first: they make one cacheable chunk.
 * Everything else (the tRPC client, zod's field checks, English, the other pages' messages and
 * composables) is left to the lazy chunks of the pages that use it (see src/lib/load-api.ts,
 * lazy-validation.ts, i18n/index.ts), so the sign-in page stays within its budget. */
const APP_CORE =
  /[\\/]src[\\/](?:lib[\\/](?:errors|flash|lazy-validation|load-api|redirect|site|storage|stored-session|trpc-events)|i18n[\\/](?:index|message|zh-CN)|composables[\\/](?:useAsyncAction|useSession|useWeiboLogin))\.ts$/;

export default defineConfig(({ command }) => ({
  // Every component uses <script setup>: the Options API code of Vue is left out of the bundle.
  plugins: [vue({ features: { optionsAPI: false } })],
  define: {
    // vue-i18n: only the composition API is used; no legacy API, no devtools in production.
    __VUE_I18N_FULL_INSTALL__: false,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    // The built app needs no message compiler: messages are plain strings, shown as they are, or
    // message functions (src/i18n/message.ts). Dev and tests keep it, to warn about mistakes.
    __INTLIFY_DROP_MESSAGE_COMPILER__: command === 'build',
  },
  server: {
    proxy: {
      // changeOrigin stays off: the API sees the browser's Host, as it would behind `pnpm start`.
      '/trpc': { target: apiOrigin },
      '/api': { target: apiOrigin },
    },
  },
  build: {
    target: 'es2022',
    // The API serves dist/ from the same origin (`pnpm start`).
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        // Vue, its router and i18n are needed by every page, and so is the app's own small core
        // (session, errors, Chinese messages): two cacheable chunks instead of the many tiny
        // shared chunks automatic splitting makes around the lazy routes. The tRPC client, zod
        // (field checks) and English stay in their own chunks, fetched when first needed.
        codeSplitting: {
          groups: [
            {
              name: 'framework',
              test: /plugin-vue:export-helper|node_modules[\\/](?:\.pnpm[\\/][^\\/]+[\\/]node_modules[\\/])?(?:vue|@vue|vue-router|vue-i18n|@intlify)[\\/]/,
            },
            { name: 'app-core', test: APP_CORE },
          ],
        },
      },
    },
  },
}));
