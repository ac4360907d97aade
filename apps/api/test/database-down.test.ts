/** A database that cannot be reached: a clear 503 quickly, never a 500 or a hang. */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import { openDatabase } from '../src/db/client.ts';
import type { AppDeps } from '../src/deps.ts';
import { createServer, type Server } from '../src/server.ts';
import { createHarness, type Harness, startSimulator } from './support/harness.ts';

let sim: WeiboSimulator;
let h: Harness;
let server: Server;
let base: string;
const unreachable = openDatabase({ kind: 'mysql', url: 'mysql://root@127.0.0.1:1/nothing_listens_here' });

beforeAll(async () => {
  sim = await startSimulator();
  h = await createHarness('sqlite', sim);
  const deps: AppDeps = { ...h.deps, db: unreachable.db };
  server = await createServer(
    deps,
    { host: '127.0.0.1', port: 0, trustProxy: false, corsOrigins: [], webDist: '/nonexistent' },
    pino({ level: 'silent' }),
  );
  base = await server.start();
});
afterAll(async () => {
  await server.app.close();
  await unreachable.close();
  await h.close();
  await sim.close();
});

describe('database unreachable', () => {
  it('reports health as down with 503', async () => {
    const response = await fetch(`${base}/api/healthz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ ok: false, db: 'down' });
  });

  it('(2e) is not ready (503, the database), while liveness, which never asks it, stays 200', async () => {
    const ready = await fetch(`${base}/api/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ok: false, reason: 'database' });
    const live = await fetch(`${base}/api/livez`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ ok: true });
  });

  it('answers procedures with SERVICE_UNAVAILABLE (503), not 500', async () => {
    const response = await fetch(`${base}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ account: 'someone', password: 'password-123' }),
    });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { data: { reason: string } } };
    expect(body.error.data.reason).toBe('SERVICE_UNAVAILABLE');
  });
});
