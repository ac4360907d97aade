/**
 * What this machine can really hash in parallel right now: one thread per core in the suite's
 * process, each comparing bcrypt hashes for a fixed time. Set beside the nominal limit (cores ÷
 * one hash's time), it tells a shortfall of the hardware (cores that do not scale, a busy
 * neighbour) from one of the server.
 */
import { Worker } from 'node:worker_threads';

const WORKER = new URL('./bcrypt-capacity-worker.ts', import.meta.url);

/** bcrypt compares per second with `threads` threads busy for about `ms` each. */
export async function parallelHashRate(cost: number, threads: number, ms: number): Promise<number> {
  const rates = await Promise.all(
    Array.from({ length: threads }, async () => {
      const worker = new Worker(WORKER, { workerData: { cost, ms } });
      try {
        const { done, elapsedMs } = await new Promise<{ done: number; elapsedMs: number }>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        });
        return (done * 1000) / elapsedMs;
      } finally {
        await worker.terminate();
      }
    }),
  );
  return rates.reduce((total, rate) => total + rate, 0);
}
