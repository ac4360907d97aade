import { describe, expect, it, vi } from 'vitest';
import { mount } from '@vue/test-utils';
import { createMemoryHistory } from 'vue-router';
import App from '../src/App.vue';
import { createAppRouter } from '../src/router/index.ts';
import { i18n, setLocale } from '../src/i18n/index.ts';
import { siteInfo } from '../src/lib/site.ts';
import { settle } from './support/mount.ts';

vi.mock('../src/lib/load-api.ts', () => ({ loadApi: async () => ({}), preloadApi: () => {} }));

async function mountApp(path: string) {
  const router = createAppRouter(createMemoryHistory());
  await router.push(path);
  await router.isReady();
  const wrapper = mount(App, { global: { plugins: [i18n, router] }, attachTo: document.body });
  await settle();
  return { wrapper, router };
}

const site = { name: '示例网', icp: null, termsUrl: '/terms', privacyUrl: '/privacy', weiboSignup: 'open' as const };

describe('the frame of every page', () => {
  it('names the site in the header and the tab title', async () => {
    siteInfo.value = site;
    const { wrapper } = await mountApp('/login');
    expect(wrapper.find('[data-testid="site-name"]').text()).toBe('示例网');
    expect(document.title).toBe('登录 · 示例网');
    await setLocale('en', { remember: false });
    await settle();
    expect(document.title).toBe('Sign in · 示例网');
  });

  it('links the built-in terms and privacy policy in the footer, without an ICP number when there is none', async () => {
    siteInfo.value = site;
    const { wrapper } = await mountApp('/login');
    expect(wrapper.find('[data-testid="footer-terms"]').attributes('href')).toBe('/terms');
    expect(wrapper.find('[data-testid="footer-terms"]').text()).toBe('用户协议');
    expect(wrapper.find('[data-testid="footer-privacy"]').attributes('href')).toBe('/privacy');
    expect(wrapper.find('[data-testid="footer-icp"]').exists()).toBe(false);
  });

  it('shows the ICP number linked to the ministry’s register, and the operator’s own documents in a new tab', async () => {
    siteInfo.value = {
      ...site,
      icp: '京ICP备12345678号-1',
      termsUrl: 'https://example.com/terms',
      privacyUrl: 'https://example.com/privacy',
    };
    const { wrapper } = await mountApp('/no/such/page');
    const icp = wrapper.find('[data-testid="footer-icp"]');
    expect(icp.text()).toBe('京ICP备12345678号-1');
    expect(icp.attributes('href')).toBe('https://beian.miit.gov.cn/');
    expect(wrapper.find('[data-testid="footer-terms"]').attributes()).toMatchObject({
      href: 'https://example.com/terms',
      target: '_blank',
    });
    expect(wrapper.find('[data-testid="footer-privacy"]').attributes('href')).toBe('https://example.com/privacy');
  });

  it('leads home from the mark, named even before the site’s name is known', async () => {
    siteInfo.value = null;
    const { wrapper } = await mountApp('/login');
    const brand = wrapper.find('a.app-brand');
    expect(brand.attributes('href')).toBe('/');
    expect(brand.attributes('aria-label')).toBe('首页');
  });

  it('offers both languages, each named in itself', async () => {
    const { wrapper } = await mountApp('/login');
    expect(wrapper.findAll('.language-choice').map((button) => button.text())).toEqual(['中文', 'English']);
  });
});
