/** The API's plain HTTP routes (CONTRACT §4). */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import { pendingMigrations } from './db/migrate.ts';
import type { AppDeps } from './deps.ts';

const HEALTH_TIMEOUT_MS = 1000;

/** Weibo's cancel-authorization callback (reference §8): source, uid, auth_end; all untrusted. */
const revokedHint = z.object({ source: z.string().max(64), uid: z.string().regex(/^\d{1,20}$/) });

export interface Lifecycle {
  /** True from the moment the process was told to stop (SIGTERM): not ready for new work. */
  readonly draining: boolean;
}

export function registerApiRoutes(app: FastifyInstance, deps: AppDeps, lifecycle: Lifecycle): void {
  app.get('/api/healthz', async (_request, reply) => {
    const up = await databaseAnswers(deps);
    return reply
      .code(up ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ ok: up, db: up ? 'up' : 'down' });
  });

  // (2e) Liveness never asks the database: a database blip must not get every instance restarted.
  app.get('/api/livez', async (_request, reply) => reply.header('cache-control', 'no-store').send({ ok: true }));

  // (2e) Readiness: the database answers and its schema is what this code needs, and no stop has begun.
  app.get('/api/readyz', async (_request, reply) => {
    const problem = lifecycle.draining ? 'stopping' : await readinessProblem(deps);
    return reply
      .code(problem ? 503 : 200)
      .header('cache-control', 'no-store')
      .send(problem ? { ok: false, reason: problem } : { ok: true });
  });

  const revoked = async (params: unknown) => {
    const hint = revokedHint.safeParse(params);
    // Answered at once and alike, known uid or not: the check with Weibo happens later, in the
    // bounded queue (modules/weibo-login/revocation-queue.ts), so the answer tells a caller nothing.
    if (hint.success && deps.weibo.isOwnApp(hint.data.source)) deps.revocations.enqueue(hint.data);
    return 'ok';
  };
  app.get('/api/weibo/revoked', async (request) => revoked(request.query));
  app.post('/api/weibo/revoked', async (request) => revoked({ ...(request.query as object), ...(request.body as object) }));
}

async function databaseAnswers(deps: AppDeps): Promise<boolean> {
  return withinHealthTimeout(
    sql`select 1`.execute(deps.db).then(() => true),
    false,
  );
}

/** Why the instance is not ready, or null: the database down, or its schema older than the code. */
async function readinessProblem(deps: AppDeps): Promise<string | null> {
  const pending = withinHealthTimeout(pendingMigrations(deps.db), null);
  const found = await pending;
  if (found === null) return 'database';
  return found.length > 0 ? 'schema' : null;
}

/** The answer within HEALTH_TIMEOUT_MS, or `fallback` (also when it fails). */
async function withinHealthTimeout<T, F>(work: Promise<T>, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), HEALTH_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } catch {
    return fallback;
  } finally {
    clearTimeout(timer);
  }
}
