/**
 * `pnpm admin` (CONTRACT §6): the operator's tool. It builds the services' dependencies as the API
 * does (openAppDeps, from the same environment and .env), without a server and without migrating,
 * calls the operator's services (modules/operator) and prints what they answer: for a terminal,
 * or with --json as one JSON document on stdout. It runs beside a live API on the same database.
 *
 * Exit codes: 0 done (also when there was nothing to change); 1 refused or failed (unknown
 * account, database unreachable or older than the code, bad configuration); 2 bad usage (unknown
 * command or option, missing or bad --reason). Every failure is one line on stderr.
 *
 * This file checks the arguments with nothing else loaded, so bad usage answers at once; the run
 * itself (run.ts) is loaded afterwards.
 */
import { enableCompileCache } from 'node:module';
import { parseArgs } from 'node:util';
import { OperatorError, requireReason } from '../modules/operator/operator-input.ts';

// As main.ts: what was compiled before is not compiled again (most of a start's time).
enableCompileCache();

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

/** Each command, and whether it changes something (and so needs a reason). */
const CHANGES = { find: false, show: false, disable: true, enable: true, unbind: true, 'sign-out': true, delete: true } as const;
export type CommandName = keyof typeof CHANGES;

export interface Invocation {
  name: CommandName;
  argument: string;
  reason: string | undefined;
  json: boolean;
}

/** Bad usage: exit 2 with the line and the usage. */
class UsageError extends Error {}

const isCommand = (name: string): name is CommandName => Object.hasOwn(CHANGES, name);

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
  if (!isCommand(name)) throw new UsageError(`unknown command "users ${name}"`);
  if (argument === undefined) throw new UsageError(`users ${name} needs ${name === 'find' ? 'the text to find' : 'an account'}`);
  if (extra.length > 0) throw new UsageError(`users ${name} takes one argument (quote it if it has spaces)`);
  if (CHANGES[name]) {
    if (values.reason === undefined) throw new UsageError(`users ${name} needs --reason TEXT (the account's owner sees it)`);
    requireReason(values.reason);
  } else if (values.reason !== undefined) throw new UsageError(`users ${name} changes nothing and takes no --reason`);
  return { name, argument, reason: values.reason, json: values.json === true };
}

async function main(argv: string[]): Promise<number> {
  let invocation: Invocation | 'help';
  try {
    invocation = parseInvocation(argv);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof OperatorError)) throw error;
    const { safeText } = await import('./format.ts');
    process.stderr.write(`admin: ${safeText(error.message)}\n\n${USAGE}`);
    return 2;
  }
  if (invocation === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const { runCommand } = await import('./run.ts');
  return runCommand(invocation);
}

process.exitCode = await main(process.argv.slice(2));
