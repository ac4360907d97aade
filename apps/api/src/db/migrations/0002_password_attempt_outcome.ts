/**
 * Frozen once landed. Password attempts record their outcome: 0 while the password is being
 * checked, 1 once it proved wrong (a right one deletes its row). The lockout then tells real
 * failures from sign-ins merely in flight. Existing rows were all failures.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('password_attempts')
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.updateTable('password_attempts').set({ failed: 1 }).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('password_attempts').dropColumn('failed').execute();
}
