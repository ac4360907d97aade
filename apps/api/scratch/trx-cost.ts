import { randomBytes } from 'node:crypto';
import { openDatabase } from '../src/db/client.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { recordEvent } from '../src/modules/audit/audit.repository.ts';
import { insertSession } from '../src/modules/sessions/sessions.repository.ts';
const file = `/tmp/tc-${process.pid}.db`;
const { db } = openDatabase({ kind: 'sqlite', file } as any);
await migrateToLatest(db);
await db.insertInto('users').values({ account: 'a', account_key: 'a', password_hash: 'x', display_name: 'a', avatar_url: null, created_at: 1, updated_at: 1 } as any).execute();
const N = Number(process.argv[2] ?? 20000);
async function time(name: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < 2000; i++) await fn();
  const t = performance.now(); const c = process.cpuUsage();
  for (let i = 0; i < N; i++) await fn();
  const u = process.cpuUsage(c);
  console.log(name, ((performance.now() - t) * 1000 / N).toFixed(1), 'µs wall', ((u.user + u.system) / N).toFixed(1), 'µs cpu', (u.system / N).toFixed(1), 'sys');
}
const Database = (await import('better-sqlite3')).default;
const raw = new Database(file);
raw.pragma('journal_mode = WAL'); raw.pragma('synchronous = NORMAL');
const ins = raw.prepare("insert into auth_events (user_id, account_key, kind, ip, user_agent, at) values (?, null, ?, ?, ?, ?)");
const sess = raw.prepare("insert into sessions (id, user_id, created_at, expires_at, ip, user_agent) values (?, ?, ?, ?, ?, ?)");
const tx = raw.transaction(() => { ins.run(1, 'sign_in_weibo', '1.2.3.4', 'x', 1); sess.run(randomBytes(16).toString('hex'), 1, 1, 2, '1.2.3.4', 'x'); });
const mode = process.argv[3];
if (mode !== 'kysely') await time('raw trx', async () => tx());
if (mode !== 'raw') await time('kysely trx', () => db.transaction().execute(async (trx) => { await recordEvent(trx, { kind: 'sign_in_weibo', userId: 1, ip: '1.2.3.4', userAgent: 'x', at: 1 }); await insertSession(trx, { id: randomBytes(16).toString('hex'), user_id: 1, created_at: 1, expires_at: 2, ip: '1.2.3.4', user_agent: 'x' }); }));
if (mode !== 'kysely') await time('raw trx', async () => tx());
