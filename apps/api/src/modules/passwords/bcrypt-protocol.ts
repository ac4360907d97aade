/** What the bcrypt pool (password-hasher.ts) and its worker threads (bcrypt-worker.mjs) say. */
export type BcryptTask = { op: 'hash'; password: string; cost: number } | { op: 'verify'; password: string; hash: string };
/** The job's id travels there and back: the port also carries messages that are not answers
 * (Node's `watch:import` notices under `node --watch`), and the pool must know its own. */
export type BcryptRequest = BcryptTask & { id: number };
export type BcryptAnswer = { id: number; ok: true; value: string | boolean } | { id: number; ok: false; message: string };
