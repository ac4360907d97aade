/**
 * The stored Weibo tokens at rest: rows written before sealing existed (plaintext) or sealed
 * with a previous DATA_ENCRYPTION_KEY are sealed anew with the current key, in bounded batches
 * (at start, by `pnpm migrate`, and by the minute's sweep), so that an old key can be dropped once
 * this has run; and tokens past their expiry are removed (a dead token is no use, and no longer kept).
 */
import type { AppDeps } from '../../deps.ts';
import { UnknownDataKey } from '../../crypto/token-cipher.ts';
import { SWEEP_BATCH_ROWS, SWEEP_MAX_BATCHES } from '../../limits/bounds.ts';

const TABLES = ['identities', 'bind_tickets', 'weibo_revocations'] as const;
type TokenTable = (typeof TABLES)[number];

/** Seals anew what is not sealed with the current key; answers how many rows, by table. */
export async function resealStoredTokens(deps: Pick<AppDeps, 'db' | 'tokens' | 'log'>): Promise<Record<TokenTable, number>> {
  const done = { identities: 0, bind_tickets: 0, weibo_revocations: 0 };
  for (const table of TABLES) {
    for (let batch = 0; batch < SWEEP_MAX_BATCHES; batch++) {
      const rows = await stale(deps, table);
      for (const row of rows) {
        let sealed: string;
        try {
          sealed = deps.tokens.seal(deps.tokens.open(row.access_token));
        } catch (error) {
          if (!(error instanceof UnknownDataKey)) throw error;
          deps.log.error(
            { table, dataKeyId: error.keyId },
            'a stored Weibo token cannot be opened: keep its key in DATA_ENCRYPTION_PREVIOUS_KEYS',
          );
          continue;
        }
        // Only if unchanged since it was read: a login may have written a fresh token meanwhile.
        await deps.db
          .updateTable(table as 'identities')
          .set({ access_token: sealed })
          .where('id', '=', row.id as never)
          .where('access_token', '=', row.access_token)
          .execute();
        done[table]++;
      }
      if (rows.length < SWEEP_BATCH_ROWS) break;
    }
  }
  return done;
}

async function stale(deps: Pick<AppDeps, 'db' | 'tokens'>, table: TokenTable): Promise<{ id: string | number; access_token: string }[]> {
  const rows = await deps.db
    .selectFrom(table as 'identities')
    .select(['id', 'access_token'])
    .where('access_token', 'is not', null)
    .where('access_token', 'not like', `${deps.tokens.currentPrefix}%`)
    .limit(SWEEP_BATCH_ROWS)
    .execute();
  return rows as { id: string | number; access_token: string }[];
}

/** Removes the bindings' tokens that are past their expiry (the binding stays). */
export async function purgeExpiredTokens(deps: AppDeps): Promise<number> {
  let purged = 0;
  for (let batch = 0; batch < SWEEP_MAX_BATCHES; batch++) {
    const rows = await deps.db
      .selectFrom('identities')
      .select('id')
      .where('access_token', 'is not', null)
      .where('token_expires_at', '<=', deps.now())
      .limit(SWEEP_BATCH_ROWS)
      .execute();
    if (rows.length === 0) break;
    await deps.db
      .updateTable('identities')
      .set({ access_token: null })
      .where(
        'id',
        'in',
        rows.map((row) => row.id),
      )
      .execute();
    purged += rows.length;
    if (rows.length < SWEEP_BATCH_ROWS) break;
  }
  return purged;
}
