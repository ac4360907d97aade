/**
 * Standalone simulator for local dev: `pnpm --filter @weibo-login/weibo-sim start`.
 * WEIBO_SIM_HOST / WEIBO_SIM_PORT choose the address; WEIBO_SIM_REDIRECT_URIS (comma-separated)
 * registers extra callback URLs for the demo app, since redirect_uri must match exactly.
 */
import { createWeiboSimulator } from './simulator.ts';
import { DEMO_APP } from './demo-data.ts';

const host = process.env.WEIBO_SIM_HOST || '127.0.0.1';
const port = Number(process.env.WEIBO_SIM_PORT || 4000);
const extraUris = (process.env.WEIBO_SIM_REDIRECT_URIS ?? '')
  .split(',')
  .map((uri) => uri.trim())
  .filter(Boolean);

if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`weibo-sim: invalid WEIBO_SIM_PORT ${JSON.stringify(process.env.WEIBO_SIM_PORT)}`);
  process.exit(1);
}

const demoApp = { ...DEMO_APP, redirectUris: [...new Set([...DEMO_APP.redirectUris, ...extraUris])] };
const simulator = createWeiboSimulator({ apps: [demoApp] });

try {
  const url = await simulator.listen(port, host);
  console.log(`weibo-sim listening on ${url} (demo client_id ${DEMO_APP.clientId})`);
} catch (error) {
  console.error(`weibo-sim: cannot listen on ${host}:${port}: ${(error as Error).message}`);
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1); // a second Ctrl-C means "now"
    stopping = true;
    simulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
