import { describe, expect, it, vi } from 'vitest';
import { loadSiteInfo, siteInfo } from '../src/lib/site.ts';

describe('site.info', () => {
  it('is fetched once with a plain GET, kept for the page and remembered for the next visit', async () => {
    const info = { name: '示例网', icp: '京ICP备12345678号', termsUrl: '/terms', privacyUrl: '/privacy', weiboSignup: 'closed' };
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ result: { data: info } }), { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    await loadSiteInfo();
    await loadSiteInfo();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(fetchMock.mock.calls[0]).toEqual(['/trpc/site.info', { headers: { accept: 'application/json' } }]);
    expect(siteInfo.value).toEqual(info);
    expect(JSON.parse(localStorage.getItem('weibo-login.site')!)).toEqual(info);
    vi.unstubAllGlobals();
  });
});
