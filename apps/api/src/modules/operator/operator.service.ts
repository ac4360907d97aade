/**
 * The operator's services (CONTRACT §6, `pnpm admin`): find and show accounts, and change them
 * with a reason: disable, enable, unbind Weibo, sign out everywhere, delete. Each change is one
 * transaction with its event, which carries the operator's reason and which the owner sees in
 * auth.activity (for a delete, the anonymous account_deleted event carries it). Nothing answered
 * holds a secret, a hash or a token (operator.dto.ts).
 */
import type { AppDeps } from '../../deps.ts';
import { inTransaction } from '../../db/transaction.ts';
import { deleteAccount } from '../account/account-deletion.ts';
import { toActivityEvent } from '../audit/activity.dto.ts';
import { listUserEvents, recordEvent } from '../audit/audit.repository.ts';
import { listUserIdentities, WEIBO } from '../identities/identities.repository.ts';
import { deleteUserSessions, listLiveSessions } from '../sessions/sessions.repository.ts';
import { accountKeyOf, findUserByAccountKey, findUserById } from '../users/users.repository.ts';
import type { UserRow } from '../users/users.table.ts';
import { runDueRevocations } from '../weibo-login/revocation-outbox.ts';
import { removeWeiboBinding } from '../weibo-login/weibo-binding.service.ts';
import {
  iso,
  type OperatorAccountDetails,
  type OperatorAction,
  type OperatorChange,
  type OperatorFindResult,
  toAccountSummary,
  toOperatorDevice,
  toWeiboBinding,
} from './operator.dto.ts';
import { OperatorError, requireReason } from './operator-input.ts';
import { latestEventAt, searchAccounts, setDisabledAt } from './operator.repository.ts';

/** The events `users show` lists, as the contract says. */
export const SHOWN_EVENTS = 20;
/** Accounts `users find` lists at most. */
export const FOUND_ACCOUNTS_MAX = 50;
const FIND_TEXT_MAX_CHARS = 255;

/** `id:42` names an account by its id (no account name has a colon); anything else is an account
 * name, compared as sign-in compares it (accountKeyOf: without case). */
const ID_PREFIX = 'id:';

export async function findAccount(deps: AppDeps, reference: string): Promise<UserRow> {
  const text = reference.trim();
  if (text.toLowerCase().startsWith(ID_PREFIX)) {
    const id = text.slice(ID_PREFIX.length);
    const user = /^\d{1,15}$/.test(id) ? await findUserById(deps.db, Number(id)) : undefined;
    if (!user) throw new OperatorError('UNKNOWN_ACCOUNT', `no account with id ${JSON.stringify(id)}`);
    return user;
  }
  const user = text ? await findUserByAccountKey(deps.db, accountKeyOf(text)) : undefined;
  if (user) return user;
  const hint = /^\d+$/.test(text) ? ` (for the account with id ${text}, write id:${text})` : '';
  throw new OperatorError('UNKNOWN_ACCOUNT', `no account named ${JSON.stringify(text)}${hint}`);
}

/** Accounts whose name or display name contains the text, whose id is the text, or whose Weibo uid it is. */
export async function findUsers(deps: AppDeps, text: string): Promise<OperatorFindResult> {
  const query = text.trim();
  if (!query) throw new OperatorError('INVALID_INPUT', 'the text to find is empty');
  if ([...query].length > FIND_TEXT_MAX_CHARS)
    throw new OperatorError('INVALID_INPUT', `the text to find is longer than ${FIND_TEXT_MAX_CHARS} characters`);
  const rows = await searchAccounts(
    deps.db,
    {
      accountKeyPart: accountKeyOf(query),
      displayNamePart: query.replace(/[A-Z]/g, (c) => c.toLowerCase()),
      id: /^\d{1,15}$/.test(query) ? Number(query) : null,
      weiboUid: query,
    },
    FOUND_ACCOUNTS_MAX + 1,
  );
  return { query, accounts: rows.slice(0, FOUND_ACCOUNTS_MAX).map(toAccountSummary), truncated: rows.length > FOUND_ACCOUNTS_MAX };
}

/** One account: profile, Weibo binding, live sessions, latest events. */
export async function showUser(deps: AppDeps, reference: string): Promise<OperatorAccountDetails> {
  const user = await findAccount(deps, reference);
  const now = deps.now();
  const [identities, lastWeiboSignIn, sessions, events] = await Promise.all([
    listUserIdentities(deps.db, user.id),
    latestEventAt(deps.db, user.id, 'sign_in_weibo'),
    listLiveSessions(deps.db, user.id, now),
    listUserEvents(deps.db, user.id, SHOWN_EVENTS),
  ]);
  const weibo = identities.find((identity) => identity.provider === WEIBO);
  return {
    id: String(user.id),
    account: user.account,
    displayName: user.display_name,
    hasPassword: user.password_hash !== null,
    disabledAt: user.disabled_at === null ? null : iso(user.disabled_at),
    createdAt: iso(user.created_at),
    updatedAt: iso(user.updated_at),
    weibo: weibo ? toWeiboBinding(weibo, lastWeiboSignIn) : null,
    devices: sessions.map(toOperatorDevice),
    events: events.map(toActivityEvent),
  };
}

const change = (action: OperatorAction, user: UserRow, reason: string, done: Partial<OperatorChange>): OperatorChange => ({
  action,
  account: { id: String(user.id), account: user.account },
  changed: false,
  reason,
  sessionsEnded: 0,
  weiboRevoke: 'none',
  ...done,
});

/** An operator's event: not the operator's address or agent, which are no business of the owner's. */
const operatorEvent = (
  kind: 'operator_disabled' | 'operator_enabled' | 'operator_unbound' | 'operator_signed_out',
  userId: number,
  reason: string,
  at: number,
) => ({ kind, userId, ip: null, userAgent: null, at, reason }) as const;

/** Disables the account (sign-in answers ACCOUNT_DISABLED) and ends every session of it, with the event, at once. */
export async function disableUser(deps: AppDeps, reference: string, reasonText: string | undefined): Promise<OperatorChange> {
  const reason = requireReason(reasonText);
  const user = await findAccount(deps, reference);
  const now = deps.now();
  return inTransaction(deps.db, async (trx) => {
    const marked = await setDisabledAt(trx, user.id, now, now);
    const sessionsEnded = (await listLiveSessions(trx, user.id, now)).length;
    await deleteUserSessions(trx, user.id);
    const changed = marked || sessionsEnded > 0;
    if (changed) await recordEvent(trx, operatorEvent('operator_disabled', user.id, reason, now));
    return change('disable', user, reason, { changed, sessionsEnded });
  });
}

/** Lets a disabled account sign in again. */
export async function enableUser(deps: AppDeps, reference: string, reasonText: string | undefined): Promise<OperatorChange> {
  const reason = requireReason(reasonText);
  const user = await findAccount(deps, reference);
  const now = deps.now();
  return inTransaction(deps.db, async (trx) => {
    const changed = await setDisabledAt(trx, user.id, null, now);
    if (changed) await recordEvent(trx, operatorEvent('operator_enabled', user.id, reason, now));
    return change('enable', user, reason, { changed });
  });
}

/** Ends every session of the account: each token stops working at once. */
export async function signOutUser(deps: AppDeps, reference: string, reasonText: string | undefined): Promise<OperatorChange> {
  const reason = requireReason(reasonText);
  const user = await findAccount(deps, reference);
  const now = deps.now();
  return inTransaction(deps.db, async (trx) => {
    const sessionsEnded = (await listLiveSessions(trx, user.id, now)).length;
    await deleteUserSessions(trx, user.id);
    if (sessionsEnded > 0) await recordEvent(trx, operatorEvent('operator_signed_out', user.id, reason, now));
    return change('sign-out', user, reason, { changed: sessionsEnded > 0, sessionsEnded });
  });
}

/**
 * Removes the account's Weibo binding and revokes our app's grant at Weibo (through the outbox,
 * tried at once). Refused for an account without a password: it would be left with no way in
 * (disable or delete it instead).
 */
export async function unbindUser(deps: AppDeps, reference: string, reasonText: string | undefined): Promise<OperatorChange> {
  const reason = requireReason(reasonText);
  const user = await findAccount(deps, reference);
  if (user.password_hash === null) {
    throw new OperatorError(
      'REFUSED',
      `${user.account} has no password: without its Weibo it could not sign in at all (disable or delete it instead)`,
    );
  }
  const now = deps.now();
  const removal = await inTransaction(deps.db, async (trx) => {
    const removed = await removeWeiboBinding(trx, user.id, now);
    if (removed.removed) await recordEvent(trx, operatorEvent('operator_unbound', user.id, reason, now));
    return removed;
  });
  return change('unbind', user, reason, {
    changed: removal.removed,
    weiboRevoke: removal.revokeQueued ? await revokeNow(deps) : 'none',
  });
}

/** Deletes the account as account.delete does (deleteAccount); the anonymous account_deleted event carries the reason. */
export async function deleteUser(deps: AppDeps, reference: string, reasonText: string | undefined): Promise<OperatorChange> {
  const reason = requireReason(reasonText);
  const user = await findAccount(deps, reference);
  const sessionsEnded = (await listLiveSessions(deps.db, user.id, deps.now())).length;
  const { revokeQueued } = await deleteAccount(deps, user, { reason, revokeInBackground: false });
  return change('delete', user, reason, { changed: true, sessionsEnded, weiboRevoke: revokeQueued ? await revokeNow(deps) : 'none' });
}

/**
 * Runs the revoke outbox now and waits for it (the tool exits afterwards, so nothing may be left
 * running): `revoked` when every revoke it tried went through, else `pending` (the API's minute
 * sweep retries what is left until Weibo answers or the token expires). Errors are logged, not
 * thrown: the change itself is committed.
 */
async function revokeNow(deps: AppDeps): Promise<OperatorChange['weiboRevoke']> {
  try {
    const run = await runDueRevocations(deps);
    return run.revoked > 0 && run.retried === 0 && run.dropped === 0 ? 'revoked' : 'pending';
  } catch (error) {
    deps.log.warn({ err: error }, 'the revoke at Weibo could not be tried now; the API retries it');
    return 'pending';
  }
}
