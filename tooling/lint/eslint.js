/**
 * The house rules of docs/architecture.md that a lint rule can hold, for the whole workspace
 * (the root's eslint.config.js is this). The rule set is kept small: eslint's and
 * typescript-eslint's recommended rules, eslint-plugin-vue's, and the few below that say where
 * code may reach. Formatting is prettier's alone (eslint-config-prettier turns style rules off).
 */
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import vue from 'eslint-plugin-vue';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** tRPC's internals: everything the API needs is in the public `@trpc/server` and `@trpc/server/http`. */
const trpcInternals = {
  group: ['@trpc/server/unstable-core-do-not-import'],
  message: 'Use the public exports of @trpc/server and @trpc/server/http.',
};
/** What a router may not reach: it calls a service, which alone talks to repositories and the database. */
const belowServices = [
  { regex: String.raw`\.repository(\.ts)?$`, message: 'Routers call services; only services use repositories.' },
  { regex: String.raw`(^|/)db/`, message: 'Routers call services; only services and repositories use the database.' },
];
const restrictedImports = (patterns) => ['error', { patterns: [trpcInternals, ...patterns] }];

/** A Weibo address, in a string or a template: they live in apps/api/src/oauth/ alone. */
const weiboUrl = String.raw`/weibo\.(com|cn)/`;
const weiboUrlMessage = "Weibo's URLs live in apps/api/src/oauth/ alone (oauth/weibo.ts).";

export default tseslint.config(
  { ignores: ['**/node_modules/', '**/dist/', '.ci-reports/', '**/.turbo/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  vue.configs['flat/recommended'],
  {
    languageOptions: { globals: globals.node },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.vue', '.json'] })] },
    rules: {
      'no-restricted-imports': restrictedImports([]),
      // Another workspace package is imported by its name and exports, never by a relative path
      // into its folder (the bench and the tests included).
      'import-x/no-relative-packages': 'error',
      // Unused names are an error, except the `_`-prefixed ones a signature needs.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `let token; const headers = () => token; … token = …` is a closure's variable set later.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // The input schemas and their tests name control characters on purpose, to refuse them.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests read JSON answers of any shape, and hand-made stand-ins are typed loosely.
    files: ['**/test/**', '**/e2e/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    files: ['apps/web/src/**'],
    languageOptions: { globals: globals.browser },
    rules: {
      // Weibo's text (screen names, anything) reaches the page as text: nothing hands a string to
      // the HTML parser.
      'vue/no-v-html': 'error',
      'no-restricted-properties': [
        'error',
        ...['innerHTML', 'outerHTML', 'insertAdjacentHTML'].map((property) => ({ property, message: 'Render text, not HTML.' })),
        { object: 'document', property: 'write', message: 'Render text, not HTML.' },
      ],
    },
  },
  {
    // The browser's storage through lib/storage.ts alone, which survives a browser that refuses it.
    files: ['apps/web/src/**'],
    ignores: ['apps/web/src/lib/storage.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...['localStorage', 'sessionStorage'].map((name) => ({
          name,
          message: 'Use lib/storage.ts (readStored, writeStored, removeStored).',
        })),
      ],
    },
  },
  {
    files: ['apps/api/src/trpc/router.ts', 'apps/api/src/trpc/routers/**'],
    rules: { 'no-restricted-imports': restrictedImports(belowServices) },
  },
  {
    files: ['apps/api/src/**'],
    ignores: ['apps/api/src/oauth/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: `Literal[value=${weiboUrl}]`, message: weiboUrlMessage },
        { selector: `TemplateElement[value.raw=${weiboUrl}]`, message: weiboUrlMessage },
      ],
    },
  },
  {
    // Kysely<any> belongs in migrations alone (they are frozen, and the schema they see is theirs).
    files: ['apps/api/src/db/migrations/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  prettier,
);
