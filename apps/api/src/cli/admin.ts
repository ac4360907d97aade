/**
 * `pnpm admin` (CONTRACT §6): the operator's tool. It builds the services' dependencies as the API
 * does (openAppDeps, from the same environment and .env), without a server and without migrating,
 * calls the operator's services (modules/operator) and prints what they answer: for a terminal,
 * or with --json as one JSON document on stdout. It runs beside a live API on the same database.
 *
 * Exit codes: 0 done (also when there was nothing to change); 1 refused or failed (unknown
 * account, database unreachable or older than the code, bad configuration); 2 bad usage (unknown
 * command or option, missing or bad --reason). Every failure is one line on stderr.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { openAppDeps, type OpenedDeps } from '../app.ts';
import { ConfigError, type DatabaseConfig, loadConfig } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import type { AppDeps } from '../deps.ts';
import {
  deleteUser,
  disableUser,
  enableUser,
  findUsers,
  OperatorError,
  requireReason,
  showUser,
  signOutUser,
  unbindUser,
} from '../modules/operator/operator.service.ts';
import { formatChange, formatFind, formatShow, safeText, toJson } from './format.ts';
import { pendingMigrations } from './schema.ts';

const USAGE = `Usage: pnpm admin users <command> [arguments] [--json]

  users find <text>                        accounts whose name or id matches (also by display name, or a whole Weibo uid)
  users show <account>                     one account: profile, Weibo binding, devices, latest 20 events
  users disable <account> --reason TEXT    sign-in refused (ACCOUNT_DISABLED); every session ends at once
  users enable <account> --reason TEXT     it can sign in again
  users unbind <account> --reason TEXT     removes its Weibo binding and revokes the grant at Weibo
  users sign-out <account> --reason TEXT   ends every session of the account
  users delete <account> --reason TEXT     deletes the account, as account.delete does

<account> is an account name (any case) or id:<number>. The reason is shown to the account's owner.
--json prints one JSON document. Reads DATABASE_URL (and .env) as the API does; see docs/operations.md.
Exit codes: 0 done, 1 refused or failed, 2 bad usage.
`;

interface CommandSpec<T> {
  needsReason: boolean;
  run(deps: AppDeps, argument: string, reason: string | undefined): Promise<T>;
  format(result: T): string;
}
const command = <T>(spec: CommandSpec<T>): CommandSpec<T> => spec;

const COMMANDS: Record<string, CommandSpec<unknown>> = {
  find: command({ needsReason: false, run: (deps, text) => findUsers(deps, text), format: formatFind }),
  show: command({ needsReason: false, run: (deps, account) => showUser(deps, account), format: formatShow }),
  disable: command({ needsReason: true, run: disableUser, format: formatChange }),
  enable: command({ needsReason: true, run: enableUser, format: formatChange }),
  unbind: command({ needsReason: true, run: unbindUser, format: formatChange }),
  'sign-out': command({ needsReason: true, run: signOutUser, format: formatChange }),
  delete: command({ needsReason: true, run: deleteUser, format: formatChange }),
};

/** Bad usage: exit 2 with the line and the usage. */
class UsageError extends Error {}

/** A failure that is the operator's to fix (configuration, database): exit 1 with the line. */
class Refusal extends Error {}

interface Invocation {
  name: string;
  spec: CommandSpec<unknown>;
  argument: string;
  reason: string | undefined;
  json: boolean;
}

function parseInvocation(argv: string[]): Invocation | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { json: { type: 'boolean' }, reason: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [group, name, argument, ...extra] = positionals;
  if (group === undefined) throw new UsageError('a command is needed');
  if (group !== 'users') throw new UsageError(`unknown command group "${group}" (only: users)`);
  if (name === undefined) throw new UsageError('a command is needed after "users"');
  const spec = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!spec) throw new UsageError(`unknown command "users ${name}"`);
  if (argument === undefined) throw new UsageError(`users ${name} needs ${name === 'find' ? 'the text to find' : 'an account'}`);
  if (extra.length > 0) throw new UsageError(`users ${name} takes one argument (quote it if it has spaces)`);
  if (spec.needsReason) {
    if (values.reason === undefined) throw new UsageError(`users ${name} needs --reason TEXT (the account's owner sees it)`);
    requireReason(values.reason);
  } else if (values.reason !== undefined) throw new UsageError(`users ${name} changes nothing and takes no --reason`);
  return { name, spec, argument, reason: values.reason, json: values.json === true };
}

/** Where the database is, without its credentials. */
function describeDatabase(database: DatabaseConfig): string {
  if (database.kind === 'sqlite') return `sqlite:${database.file}`;
  const url = new URL(database.url);
  return `mysql://${url.host}${url.pathname}`;
}

const firstLine = (error: unknown): string => {
  const e = error as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' && e.message ? e.message.split('\n')[0]! : String(error);
  return safeText(typeof e?.code === 'string' && !message.includes(e.code) ? `${e.code}: ${message}` : message);
};

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

/** Warnings (a revoke Weibo did not take…) as one line each on stderr; the JSON logger's fields are
 * left out, so nothing but the message and the error's first line is ever printed. */
const stderrLogger = pino(
  { level: 'warn' },
  {
    write(line: string) {
      const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
      process.stderr.write(`admin: warning: ${safeText(entry.msg ?? '')}${entry.err ? ` (${firstLine(entry.err)})` : ''}\n`);
    },
  },
);

async function run(argv: string[]): Promise<number> {
  let invocation: Invocation | 'help';
  try {
    invocation = parseInvocation(argv);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof OperatorError)) throw error;
    process.stderr.write(`admin: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (invocation === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  let opened: OpenedDeps | undefined;
  try {
    const config = loadConfig();
    const where = describeDatabase(config.database);
    await requireCurrentSchema(config.database, where);
    opened = await openAppDeps(config, stderrLogger, { migrate: false, poolSize: 2 }).catch((error: unknown) => {
      throw new Refusal(`cannot open the database at ${where}: ${firstLine(error)}`);
    });
    const result = await invocation.spec.run(opened.deps, invocation.argument, invocation.reason);
    process.stdout.write(invocation.json ? toJson(result) : invocation.spec.format(result));
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) process.stderr.write(`admin: configuration error: ${safeText(error.message)}\n`);
    else if (error instanceof Refusal || error instanceof OperatorError) process.stderr.write(`admin: ${safeText(error.message)}\n`);
    else process.stderr.write(`admin: users ${invocation.name} failed: ${firstLine(error)}\n`);
    return error instanceof OperatorError && error.code === 'INVALID_INPUT' ? 2 : 1;
  } finally {
    await opened?.close();
  }
}

process.exitCode = await run(process.argv.slice(2));
