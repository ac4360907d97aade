/**
 * Mounts a view the way the app does (i18n, the app's routes and guard) with an in-memory
 * history, so tests can look at where the view navigated.
 */
import { flushPromises, mount } from '@vue/test-utils';
import { createMemoryHistory, RouterView, type Router } from 'vue-router';
import { defineComponent, h } from 'vue';
import { createAppRouter } from '../../src/router/index.ts';
import { i18n } from '../../src/i18n/index.ts';

export async function mountAt(path: string): Promise<{ wrapper: ReturnType<typeof mount>; router: Router }> {
  const router = createAppRouter(createMemoryHistory());
  await router.push(path);
  await router.isReady();
  const Root = defineComponent({ render: () => h(RouterView) });
  const wrapper = mount(Root, { global: { plugins: [i18n, router] }, attachTo: document.body });
  await settle();
  return { wrapper, router };
}

/** Lets lazy route components, API promises and re-renders finish. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await flushPromises();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}
