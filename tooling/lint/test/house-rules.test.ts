/**
 * The house rules of eslint.js, each tried on a line that breaks it and on one that keeps it, in
 * a file of the place the rule is about (lintText with a filePath: the file need not exist).
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function messagesOf(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}/${filePath}` });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const cases: { rule: string; file: string; broken: string; kept: string }[] = [
  {
    rule: "tRPC's internals",
    file: 'apps/api/src/trpc/some-adapter.ts',
    broken: "import { getErrorShape } from '@trpc/server/unstable-core-do-not-import';\nexport { getErrorShape };\n",
    kept: "import { getErrorShape } from '@trpc/server';\nexport { getErrorShape };\n",
  },
  {
    rule: 'a router reaching a repository',
    file: 'apps/api/src/trpc/routers/some.ts',
    broken: "import * as users from '../../modules/users/users.repository.ts';\nexport { users };\n",
    kept: "import * as users from '../../modules/users/users.service.ts';\nexport { users };\n",
  },
  {
    rule: 'a router reaching the database',
    file: 'apps/api/src/trpc/routers/some.ts',
    broken: "import type { Db } from '../../db/database.ts';\nexport type { Db };\n",
    kept: "import type { AppDeps } from '../../deps.ts';\nexport type { AppDeps };\n",
  },
  {
    rule: 'a Weibo URL outside oauth/',
    file: 'apps/api/src/config-elsewhere.ts',
    broken: "export const base = 'https://api.weibo.com';\n",
    kept: "export const base = 'https://example.com';\n",
  },
  {
    rule: 'a Weibo URL in a template outside oauth/',
    file: 'apps/api/src/modules/some.ts',
    broken: 'export const url = (uid: string) => `https://weibo.com/u/${uid}`;\n',
    kept: 'export const url = (uid: string) => `/u/${uid}`;\n',
  },
  {
    rule: "another package's source from the bench",
    file: 'bench/some.ts',
    broken: "import { API_NODE_FLAGS } from '../apps/api/src/limits/bounds.ts';\nexport { API_NODE_FLAGS };\n",
    kept: "import { API_NODE_FLAGS } from '@weibo-login/api/bounds';\nexport { API_NODE_FLAGS };\n",
  },
  {
    rule: "another package's source from a test",
    file: 'apps/web/e2e/some.e2e.ts',
    broken: "import { createDeps } from '../../api/src/app.ts';\nexport { createDeps };\n",
    kept: "import { createDeps } from '../src/app.ts';\nexport { createDeps };\n",
  },
  {
    rule: 'v-html',
    file: 'apps/web/src/components/SomePanel.vue',
    broken: '<script setup lang="ts">\ndefineProps<{ name: string }>();\n</script>\n\n<template>\n  <p v-html="name" />\n</template>\n',
    kept: '<script setup lang="ts">\ndefineProps<{ name: string }>();\n</script>\n\n<template>\n  <p>{{ name }}</p>\n</template>\n',
  },
  {
    rule: 'innerHTML',
    file: 'apps/web/src/lib/some.ts',
    broken: 'export const show = (element: HTMLElement, name: string) => {\n  element.innerHTML = name;\n};\n',
    kept: 'export const show = (element: HTMLElement, name: string) => {\n  element.textContent = name;\n};\n',
  },
  {
    rule: 'storage outside lib/storage.ts',
    file: 'apps/web/src/composables/useSomething.ts',
    broken: "export const remembered = () => localStorage.getItem('key');\n",
    kept: "import { readStored } from '../lib/storage.ts';\nexport const remembered = () => readStored('local', 'key');\n",
  },
];

describe('the house rules as lint rules', () => {
  it.each(cases)('refuse $rule, and let its counterpart through', async ({ file, broken, kept }) => {
    expect(await messagesOf(broken, file)).not.toEqual([]);
    expect(await messagesOf(kept, file)).toEqual([]);
  });

  it("let oauth/ name Weibo's URLs", async () => {
    expect(await messagesOf("export const base = 'https://api.weibo.com';\n", 'apps/api/src/oauth/other-provider.ts')).toEqual([]);
  });
});
