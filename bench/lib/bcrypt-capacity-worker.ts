/** One thread of bcrypt-capacity.ts: compares for `ms`, then reports how many it did in how long
 * (timed from after its own start-up and first hash, which are not part of the rate). */
import { parentPort, workerData } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

const { cost, ms } = workerData as { cost: number; ms: number };
const hash = bcrypt.hashSync('capacity password', cost);
const started = performance.now();
let done = 0;
while (performance.now() - started < ms) {
  bcrypt.compareSync('capacity password', hash);
  done++;
}
parentPort!.postMessage({ done, elapsedMs: performance.now() - started });
