/** Public API of @weibo-login/weibo-sim: an offline stand-in for api.weibo.com's OAuth2 web login. */
export { createWeiboSimulator, type WeiboSimulator } from './simulator.ts';
export { DEMO_APP, DEMO_USERS, XSS_SCREEN_NAME } from './demo-data.ts';
export { SESSION_COOKIE } from './authorize-routes.ts';
export { FAULT_ENDPOINTS, FAULT_MODES, type FaultEndpoint, type FaultMode, type FaultSpec } from './faults.ts';
export type { SimApp, SimUser, SimulatorOptions } from './types.ts';
export {
  createSimulatorControl,
  type SimulatorControl,
  type SimStats,
  type NewSimUser,
  type NewSimApp,
  type SimAppChange,
  type MintCodes,
} from './control-client.ts';
