/**
 * Two of the three Galera nodes killed (SIGKILL) under load: the last node is up and answers
 * connections, but without a quorum it is non-Primary and refuses queries with 1047 ("WSREP has
 * not yet prepared node for application use"). Its instance must answer the clear 503
 * (SERVICE_UNAVAILABLE), quickly, and say not ready; never a 500 or a hang. When the operator
 * bootstraps the last node (pc.bootstrap) it serves again by itself, the other nodes rejoin, their
 * instances recover, and every acknowledged registration is on every node.
 */
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiProcess } from '../support/api-process.ts';
import { galeraSkipped } from '../support/galera.ts';
import { createGaleraWorld, type GaleraWorld, PASSWORD, passwordTraffic, probe } from '../support/galera-world.ts';
import { type Outcome, request, waitFor } from '../support/load.ts';

const ANSWER_BOUND_MS = 8000;
/** Two evictions (evs.suspect_timeout 5 s each, and the loaded machine's margin). */
const QUORUM_LOSS_BOUND_MS = 30_000;
const RECOVERY_BOUND_MS = 30_000;

describe.skipIf(galeraSkipped('galera quorum suite'))('two of three Galera nodes killed under load', () => {
  let w: GaleraWorld;
  let apis: ApiProcess[];

  beforeAll(async () => {
    w = await createGaleraWorld('galera_quorum');
    apis = await w.startSeededApis('qseed');
  });
  afterAll(async () => {
    await w?.dispose();
  });

  const signsIn = async (i: number) =>
    (await request(apis[i]!.url, '/trpc/auth.login', { account: `qseed_${i}`, password: PASSWORD })).status === 200 &&
    (await probe(apis[i]!, '/api/readyz')) === 200;

  it('the last node without quorum: its instance answers 503 and is not ready; after bootstrap all recover, nothing lost', async () => {
    const loads = apis.map((api, i) => passwordTraffic(api, `q${i}`));
    const last = loads[0]!;
    await waitFor(async () => loads.every((load) => load.outcomes.some((o) => o.status === 200)), 30_000, 'every instance serves');

    const killedAt = performance.now();
    const at = (t: number) => Math.round(t - killedAt);
    await Promise.all([w.cluster.kill(1), w.cluster.kill(2)]);
    const lostMs = await waitFor(
      async () => (await w.cluster.status(0))?.clusterStatus === 'non-Primary',
      QUORUM_LOSS_BOUND_MS,
      'node 1 loses its quorum',
    );
    const nonPrimaryAt = performance.now();
    await waitFor(async () => (await probe(apis[0]!, '/api/readyz')) === 503, ANSWER_BOUND_MS, 'readiness of the last node’s instance');
    // Enough answers while it is non-Primary to judge them (the ones the assertions look at).
    await waitFor(
      async () => last.outcomes.filter((o) => o.startedAt > nonPrimaryAt + 200).length >= 20,
      ANSWER_BOUND_MS,
      'the last node’s instance answers while non-Primary',
    );
    expect(await probe(apis[0]!, '/api/livez')).toBe(200);

    // The operator's way out: make the last node a Primary component of one.
    const bootstrapAt = performance.now();
    const admin = await createConnection({ uri: w.cluster.url(0, 'mysql') });
    await admin.query("SET GLOBAL wsrep_provider_options = 'pc.bootstrap=YES'");
    await admin.end();
    const recoveredMs = await waitFor(() => signsIn(0), RECOVERY_BOUND_MS, 'the last node’s instance recovers after bootstrap');
    const rejoins = [await w.cluster.start(1), await w.cluster.start(2)];
    for (const i of [1, 2]) await waitFor(() => signsIn(i), RECOVERY_BOUND_MS, `api${i + 1} recovers once its node rejoined`);
    const endAt = performance.now();
    await waitFor(async () => loads.every((load) => load.outcomes.some((o) => o.startedAt > endAt && o.status === 200)), 30_000, 'served');
    await Promise.all(loads.map((load) => load.stop()));

    const all: (Outcome & { api: number })[] = loads.flatMap((load, i) => load.outcomes.map((o) => ({ ...o, api: i })));
    const whileNonPrimary = last.outcomes.filter((o) => o.startedAt > nonPrimaryAt + 200 && o.endedAt < bootstrapAt);
    console.log(
      `galera quorum lost ${JSON.stringify({
        requests: all.length,
        lostQuorumAfterMs: Math.round(lostMs),
        bootstrapAtMs: at(bootstrapAt),
        lastNodeWhileNonPrimary: whileNonPrimary.length,
        recoveredAfterBootstrapMs: Math.round(recoveredMs),
        rejoins,
        slowestMs: Math.round(Math.max(...all.map((o) => o.endedAt - o.startedAt))),
      })}`,
    );
    const bad = all.filter((o) => (o.status >= 500 && o.status !== 503) || o.status <= 0);
    expect(
      bad.map((o) => `api${o.api + 1} ${o.op} ${o.status} ${o.reason} (${at(o.startedAt)}..${at(o.endedAt)} ms after the kill)`),
      w.unexpectedLog(),
    ).toEqual([]);
    expect(new Set(whileNonPrimary.map((o) => `${o.status} ${o.reason}`))).toEqual(new Set(['503 SERVICE_UNAVAILABLE']));
    expect(Math.max(...whileNonPrimary.map((o) => o.endedAt - o.startedAt))).toBeLessThan(ANSWER_BOUND_MS);
    expect(w.crashed()).toEqual([]);

    const acknowledged = all.filter((o) => o.op === 'register' && o.status === 200).map((o) => o.account!);
    expect(acknowledged.length).toBeGreaterThan(10);
    for (let node = 0; node < w.cluster.size; node++) {
      const rows = await w.sql<{ account: string }>(node, 'SELECT account FROM users WHERE account IN (?)', [acknowledged]);
      const missing = acknowledged.filter((account) => !rows.some((row) => row.account === account));
      expect(missing, `acknowledged registrations missing on node${node + 1}`).toEqual([]);
    }
  });
});
