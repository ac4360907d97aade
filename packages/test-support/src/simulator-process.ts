/**
 * The Weibo simulator in a process of its own, for the suites where sharing the test's event loop
 * would make Weibo slow whenever the test is busy (a load test's load generator): as
 * api.weibo.com is, it is somewhere else.
 */
import { createSimulatorControl, type SimulatorControl } from '@weibo-login/weibo-sim/control';
import { SIMULATOR_PROGRAM } from '@weibo-login/weibo-sim/program';
import { launch, type ServiceProcess } from './node-service.ts';

export interface SimulatorProcess extends ServiceProcess {
  /** A client of its /__sim/ control API. */
  control: SimulatorControl;
  /** SIGTERM, then the exit. */
  close(): Promise<void>;
}

/** Starts it on a free port of 127.0.0.1 with `redirectUris` added to the demo app, and resolves
 * once its control routes answer. */
export async function startSimulatorProcess(redirectUris: string[] = []): Promise<SimulatorProcess> {
  const service = await launch(SIMULATOR_PROGRAM, { env: { WEIBO_SIM_REDIRECT_URIS: redirectUris.join(',') }, stdio: 'stderr' });
  return {
    ...service,
    control: createSimulatorControl(service.url),
    close: async () => void (await service.stop()),
  };
}
