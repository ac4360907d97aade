/**
 * The real bcrypt worker, telling the test (on a BroadcastChannel, which reaches every thread of
 * the process) the password of every task it is given, so a test can see which jobs ran. The
 * password EXIT_PASSWORD ends the thread instead, as a crash would.
 */
import { parentPort } from 'node:worker_threads';
import type { BcryptRequest } from '../../../src/modules/passwords/bcrypt-protocol.ts';
import { EXIT_PASSWORD, TASKS_CHANNEL } from './recording.ts';

const channel = new BroadcastChannel(TASKS_CHANNEL);
channel.unref();
// Registered before the real worker's listener, so it runs first on every task.
parentPort!.on('message', (task: BcryptRequest) => {
  channel.postMessage(task.password);
  if (task.password === EXIT_PASSWORD) process.exit(3);
});
await import('../../../src/modules/passwords/bcrypt-worker.mjs');
