/** How the browser suite's two sites are configured (global-setup.ts), for the scenarios to check. */
export const SITE_NAME = '拾光';
export const ALT_SITE_ICP = '京ICP备12345678号-1';
