/**
 * The real bcrypt worker, with other traffic on its port around every answer: Node's own
 * `watch:import` notices (as under `node --watch`), junk, answers without an id or with the wrong
 * one, and the same answer twice. The pool must take only the answer to the job it sent.
 */
import { parentPort } from 'node:worker_threads';
import type { BcryptAnswer } from '../../../src/modules/passwords/bcrypt-protocol.ts';

const port = parentPort!;
const post = port.postMessage.bind(port);
const junk = [{ 'watch:import': ['file:///x'] }, null, 42, 'done', { ok: true, value: true }, { ok: false, message: 'not an answer' }];

post({ 'watch:import': ['file:///before-any-job'] });
port.postMessage = (answer: BcryptAnswer) => {
  for (const message of junk) post(message);
  // The id of the next job this thread may be given must not appear after the answer; before it,
  // that id belongs to no job of this thread yet.
  post({ ...answer, id: answer.id + 1, value: 'someone else' });
  post(answer);
  for (const message of junk) post(message);
  post(answer);
};
await import('../../../src/modules/passwords/bcrypt-worker.mjs');
