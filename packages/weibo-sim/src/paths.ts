/**
 * Where the simulator serves Weibo's two authorize pages. The real phone page is the same path on another host,
 * `https://open.weibo.cn/oauth2/authorize?…&display=mobile` (reference §1); the simulator has one host, so the
 * phone page lives under a path that names the real host. Fastify-free, so the control client re-exports it.
 */

/** api.weibo.com's authorize page (desktop). */
export const AUTHORIZE_PATH = '/oauth2/authorize';
/** Where the desktop consent form posts the person's choice. */
export const DECISION_PATH = '/oauth2/authorize/decision';
/** open.weibo.cn's phone authorize page: the dev default of WEIBO_MOBILE_AUTHORIZE_URL is http://127.0.0.1:4000 + this. */
export const MOBILE_AUTHORIZE_PATH = '/open.weibo.cn/oauth2/authorize';
/** Where the phone consent form posts the person's choice. */
export const MOBILE_DECISION_PATH = '/open.weibo.cn/oauth2/authorize/decision';
