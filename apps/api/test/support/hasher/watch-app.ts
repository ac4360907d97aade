/**
 * Run by password-hasher-watch.test.ts under `node --watch`, where every worker thread's port also
 * carries Node's `{"watch:import": [...]}` notices: one hash, then two registrations' hashes and two
 * checks at once, as a dev server sees them. Prints one JSON line of outcomes (a failure is an
 * outcome, not a crash, so the test can say which call went wrong) and keeps running like a server.
 */
import { createBcryptHasher } from '../../../src/modules/passwords/password-hasher.ts';

const outcome = (promise: Promise<unknown>): Promise<{ value?: unknown; error?: string }> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error: String(error) }),
  );

const hasher = await createBcryptHasher(4, 2);
const stored = await outcome(hasher.hash('the right password'));
const hash = typeof stored.value === 'string' ? stored.value : '$2b$04$' + '.'.repeat(53);
const [registerA, registerB, right, wrong] = await Promise.all([
  outcome(hasher.hash('first new account')),
  outcome(hasher.hash('second new account')),
  outcome(hasher.verify('the right password', hash)),
  outcome(hasher.verify('a wrong password', hash)),
]);
console.log(JSON.stringify({ stored, registerA, registerB, right, wrong }));
setInterval(() => {}, 60_000);
