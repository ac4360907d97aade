/** The API's plain HTTP routes (CONTRACT §4). */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import type { AppDeps } from './deps.ts';

const HEALTH_TIMEOUT_MS = 1000;

/** Weibo's cancel-authorization callback (reference §8): source, uid, auth_end; all untrusted. */
const revokedHint = z.object({ source: z.string().max(64), uid: z.string().regex(/^\d{1,20}$/) });

export function registerApiRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/api/healthz', async (_request, reply) => {
    const up = await databaseAnswers(deps);
    return reply
      .code(up ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ ok: up, db: up ? 'up' : 'down' });
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
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), HEALTH_TIMEOUT_MS);
  });
  try {
    return await Promise.race([sql`select 1`.execute(deps.db).then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
