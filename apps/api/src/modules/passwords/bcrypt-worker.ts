/**
 * A worker thread of the bcrypt pool (password-hasher.ts). bcryptjs does all its work on the
 * thread that calls it; here that thread is this one, never the API's event loop. One task at a
 * time, synchronously: the async form would only slice the same work into more pieces.
 */
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export type BcryptTask = { op: 'hash'; password: string; cost: number } | { op: 'verify'; password: string; hash: string };
/** The job's id travels there and back: this port also carries messages that are not answers
 * (Node's `watch:import` notices under `node --watch`), and the pool must know its own. */
export type BcryptRequest = BcryptTask & { id: number };
export type BcryptAnswer = { id: number; ok: true; value: string | boolean } | { id: number; ok: false; message: string };

/** Niceness of these threads: under a password storm the cores are full of bcrypt, and the
 * event loop (which serves every other request) must still be scheduled at once. */
const BCRYPT_THREAD_NICENESS = 10;

try {
  // On Linux, priority 0 means the calling thread, not the whole process.
  if (process.platform === 'linux') os.setPriority(0, BCRYPT_THREAD_NICENESS);
} catch {
  // Not permitted here: the work is the same, only less polite.
}

parentPort!.on('message', (task: BcryptRequest) => {
  let answer: BcryptAnswer;
  try {
    const value = task.op === 'hash' ? bcrypt.hashSync(task.password, task.cost) : bcrypt.compareSync(task.password, task.hash);
    answer = { id: task.id, ok: true, value };
  } catch (error) {
    answer = { id: task.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(answer);
});
