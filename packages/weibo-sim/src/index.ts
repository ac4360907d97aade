/** Public API of @weibo-login/weibo-sim: an offline stand-in for api.weibo.com's OAuth2 web login. */
export { createWeiboSimulator, type WeiboSimulator } from './simulator.ts';
export { DEMO_APP, DEMO_USERS, XSS_SCREEN_NAME } from './demo-data.ts';
export { SESSION_COOKIE } from './authorize-routes.ts';
export { AUTHORIZE_PATH, DECISION_PATH, MOBILE_AUTHORIZE_PATH, MOBILE_DECISION_PATH } from './paths.ts';
export { NO_DISPLAY, type AuthorizePage, type AuthorizeRecord } from './authorize-log.ts';
export { ERROR_FAULT_MODE, FAULT_ENDPOINTS, FAULT_MODES, type FaultEndpoint, type FaultMode, type FaultSpec } from './faults.ts';
export { WEIBO_ERROR_CODES, type WeiboErrorCode } from './error-fault.ts';
export { RATE_LIMIT_CODES, type RateLimitCode } from './rate-limits.ts';
export type { RateLimits, SimApp, SimUser, SimulatorOptions } from './types.ts';
export {
  createSimulatorControl,
  type SimulatorControl,
  type SimStats,
  type NewSimUser,
  type NewSimApp,
  type SimAppChange,
  type MintCodes,
} from './control-client.ts';
