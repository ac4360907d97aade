/** The test's side of recording-worker.ts, and a bounded wait for any promise. */
export const TASKS_CHANNEL = 'bcrypt-worker-tasks';
export const EXIT_PASSWORD = 'end this thread now';
export const RECORDING_WORKER_URL = new URL('./recording-worker.ts', import.meta.url);
export const NOISY_WORKER_URL = new URL('./noisy-worker.ts', import.meta.url);

/** A hang fails the test with a message instead of running into the test's timeout. */
export function within<T>(ms: number, promise: Promise<T>, what = 'the pool'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The rejection of a promise that must fail, as a value (never an unhandled rejection). */
export const failureOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${String(value)}`);
    },
    (error: unknown) => error,
  );

/** The passwords of the tasks the recording workers have been given, in order. */
export function recordTasks() {
  const passwords: string[] = [];
  const channel = new BroadcastChannel(TASKS_CHANNEL);
  channel.onmessage = (event) => passwords.push((event as { data: string }).data);
  return {
    passwords,
    /** Resolves once a task with that password has been given to a thread. */
    async seen(password: string): Promise<void> {
      while (!passwords.includes(password)) await new Promise((resolve) => setTimeout(resolve, 10));
    },
    close: () => channel.close(),
  };
}
