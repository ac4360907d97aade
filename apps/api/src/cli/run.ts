/**
 * One run of the operator's tool, once its arguments are checked (admin.ts): the configuration,
 * the database (there, reachable, its schema current), the services' dependencies as the API builds
 * them (openAppDeps, without migrating), the command, its output; everything closed afterwards so
 * that the process ends.
 */
import fs from 'node:fs';
import pino from 'pino';
import { openAppDeps, type OpenedDeps } from '../app.ts';
import { ConfigError, type DatabaseConfig, loadConfig } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { pendingMigrations } from '../db/migrate.ts';
import type { AppDeps } from '../deps.ts';
import { OperatorError } from '../modules/operator/operator-input.ts';
import { deleteUser, disableUser, enableUser, findUsers, showUser, signOutUser, unbindUser } from '../modules/operator/operator.service.ts';
import type { CommandName, Invocation } from './admin.ts';
import { formatChange, formatFind, formatShow, safeText, toJson } from './format.ts';

interface CommandSpec<T> {
  run(deps: AppDeps, argument: string, reason: string | undefined): Promise<T>;
  format(result: T): string;
}
const command = <T>(spec: CommandSpec<T>): CommandSpec<T> => spec;

const COMMANDS: Record<CommandName, CommandSpec<unknown>> = {
  find: command({ run: (deps, text) => findUsers(deps, text), format: formatFind }),
  show: command({ run: (deps, account) => showUser(deps, account), format: formatShow }),
  disable: command({ run: disableUser, format: formatChange }),
  enable: command({ run: enableUser, format: formatChange }),
  unbind: command({ run: unbindUser, format: formatChange }),
  'sign-out': command({ run: signOutUser, format: formatChange }),
  delete: command({ run: deleteUser, format: formatChange }),
};

/** A failure that is the operator's to fix (configuration, database): exit 1 with the line. */
class Refusal extends Error {}

/** Where the database is, without its credentials. */
function describeDatabase(database: DatabaseConfig): string {
  if (database.kind === 'sqlite') return `sqlite:${database.file}`;
  const url = new URL(database.url);
  return `mysql://${url.host}${url.pathname}`;
}

/** An error's first line, with its code when the message does not say it. */
export function firstLine(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' && e.message ? e.message.split('\n')[0]! : String(error);
  return safeText(typeof e?.code === 'string' && !message.includes(e.code) ? `${e.code}: ${message}` : message);
}

/**
 * The database must be there and its schema current before anything is built on it: the tool
 * never creates a SQLite file and never migrates (that is the API's and `pnpm migrate`'s).
 */
async function requireCurrentSchema(database: DatabaseConfig, where: string): Promise<void> {
  if (database.kind === 'sqlite' && database.file !== ':memory:' && !fs.existsSync(database.file)) {
    throw new Refusal(`no database at ${where}: check DATABASE_URL (the API creates it at its first start)`);
  }
  const client = openDatabase(database, { poolSize: 1 });
  let pending: string[];
  try {
    pending = await pendingMigrations(client.db);
  } catch (error) {
    throw new Refusal(`cannot read the database at ${where}: ${firstLine(error)}`);
  } finally {
    await client.close();
  }
  if (pending.length > 0) {
    throw new Refusal(
      `the database at ${where} is older than this code (not yet run: ${pending.join(', ')}): run pnpm migrate, or start the API, first`,
    );
  }
}

/** Warnings (a revoke Weibo did not take…) as one line each on stderr: only the message and the
 * error's first line, never a log entry's other fields. */
const stderrLogger = pino(
  { level: 'warn' },
  {
    write(line: string) {
      const entry = JSON.parse(line) as { msg?: string; err?: unknown };
      process.stderr.write(`admin: warning: ${safeText(entry.msg ?? '')}${entry.err ? ` (${firstLine(entry.err)})` : ''}\n`);
    },
  },
);

/** Runs the command; answers the exit code (0 done, 1 refused or failed, 2 bad input). */
export async function runCommand(invocation: Invocation): Promise<number> {
  let opened: OpenedDeps | undefined;
  try {
    const config = loadConfig();
    const where = describeDatabase(config.database);
    await requireCurrentSchema(config.database, where);
    opened = await openAppDeps(config, stderrLogger, { migrate: false, poolSize: 2 }).catch((error: unknown) => {
      throw new Refusal(`cannot open the database at ${where}: ${firstLine(error)}`);
    });
    const spec = COMMANDS[invocation.name];
    const result = await spec.run(opened.deps, invocation.argument, invocation.reason);
    process.stdout.write(invocation.json ? toJson(result) : spec.format(result));
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) process.stderr.write(`admin: configuration error: ${safeText(error.message)}\n`);
    else if (error instanceof Refusal || error instanceof OperatorError) process.stderr.write(`admin: ${safeText(error.message)}\n`);
    else process.stderr.write(`admin: users ${invocation.name} failed: ${firstLine(error)}\n`);
    return error instanceof OperatorError && error.code === 'INVALID_INPUT' ? 2 : 1;
  } finally {
    await opened?.close().catch((error: unknown) => process.stderr.write(`admin: warning: closing the database: ${firstLine(error)}\n`));
  }
}
