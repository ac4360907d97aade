import { MysqlAdapter } from 'kysely';
import type { DbHandle } from '../../db/database.ts';
import { KNOWN_BROWSER_TTL_MS } from '../../limits/bounds.ts';

export async function isKnownBrowser(db: DbHandle, userId: number, browserHash: string, now: number): Promise<boolean> {
  const row = await db
    .selectFrom('known_browsers')
    .select('user_id')
    .where('user_id', '=', userId)
    .where('browser_hash', '=', browserHash)
    .where('last_seen_at', '>', now - KNOWN_BROWSER_TTL_MS)
    .executeTakeFirst();
  return row !== undefined;
}

/** Remembers (or refreshes) that this browser signed in to this account. */
export async function rememberBrowser(db: DbHandle, userId: number, browserHash: string, now: number): Promise<void> {
  const insert = db.insertInto('known_browsers').values({ user_id: userId, browser_hash: browserHash, last_seen_at: now });
  // The two dialects spell an upsert differently; the primary key settles races either way.
  const isMysql = db.getExecutor().adapter instanceof MysqlAdapter;
  await (
    isMysql
      ? insert.onDuplicateKeyUpdate({ last_seen_at: now })
      : insert.onConflict((oc) => oc.columns(['user_id', 'browser_hash']).doUpdateSet({ last_seen_at: now }))
  ).execute();
}
