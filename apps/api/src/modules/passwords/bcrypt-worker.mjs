/**
 * A worker thread of the bcrypt pool (password-hasher.ts; messages in bcrypt-protocol.ts).
 * bcryptjs does all its work on the thread that calls it; here that thread is this one, never
 * the API's event loop. One task at a time, synchronously: the async form would only slice the
 * same work into more pieces.
 *
 * Plain JavaScript on purpose: a thread that loads a .ts file starts Node's type stripper in its
 * own isolate, 13 MB of resident memory per thread (measured: two idle threads 102 MB from a
 * .ts file, 75 MB from this), for five lines that have no types worth checking.
 */
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

/** Niceness of this thread, from the pool (password-hasher.ts): 0 for the thread kept for
 * sign-in checks, 19 for the threads that also make new hashes, so that under a storm of bcrypt
 * the event loop (which serves every other request) and sign-ins are scheduled first. */
const niceness = workerData?.niceness ?? 0;

try {
  // On Linux, priority 0 means the calling thread, not the whole process.
  if (process.platform === 'linux') os.setPriority(0, niceness);
} catch {
  // Not permitted here: the work is the same, only less polite.
}

parentPort.on('message', (/** @type {import('./bcrypt-protocol.ts').BcryptRequest} */ task) => {
  let answer;
  try {
    const value = task.op === 'hash' ? bcrypt.hashSync(task.password, task.cost) : bcrypt.compareSync(task.password, task.hash);
    answer = { id: task.id, ok: true, value };
  } catch (error) {
    answer = { id: task.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort.postMessage(answer);
});
