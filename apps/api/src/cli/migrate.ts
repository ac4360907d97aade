/**
 * `pnpm migrate` (CONTRACT §1, 2e): brings the database of DATABASE_URL to the newest schema, seals
 * the stored Weibo tokens that are not yet sealed with DATA_ENCRYPTION_KEY, and exits: 0 with one
 * line when done, 1 with one line on failure. Run it before starting instances with
 * MIGRATE_ON_START=false; it is safe to run from several machines at once (the migration lock).
 */
import { loadConfigOrComplain } from '../config.ts';
import { createTokenCipher } from '../crypto/token-cipher.ts';
import { openDatabase } from '../db/client.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { createLogger } from '../logger.ts';
import { resealStoredTokens } from '../modules/weibo-login/stored-tokens.ts';

async function main(): Promise<number> {
  const config = loadConfigOrComplain();
  if (!config) return 1;
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const database = openDatabase(config.database, { poolSize: 2 });
  try {
    const applied = await migrateToLatest(database.db);
    const sealed = await resealStoredTokens({
      db: database.db,
      tokens: createTokenCipher(config.dataKeys.current, config.dataKeys.previous),
      log,
    });
    const tokens = Object.values(sealed).reduce((sum, n) => sum + n, 0);
    console.log(
      `${database.dialect} database ${applied.length === 0 ? 'already current' : `migrated: ${applied.join(', ')}`}; ${tokens} stored token(s) sealed with the current key`,
    );
    return 0;
  } catch (error) {
    console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await database.close();
  }
}

process.exitCode = await main();
