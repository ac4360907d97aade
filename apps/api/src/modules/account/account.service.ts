/**
 * The signed-in account's own settings (CONTRACT §3, 2e): its devices (the live sessions), its
 * password, and a copy of everything held about it.
 */
import type { AccountExport, Device } from '@weibo-login/shared';
import type { AppDeps } from '../../deps.ts';
import { inTransaction } from '../../db/transaction.ts';
import { AppError } from '../../errors.ts';
import type { RequestInfo, VerifiedSession } from '../../types.ts';
import { listUserEvents, recordEvent } from '../audit/audit.repository.ts';
import { toActivityEvent } from '../audit/activity.dto.ts';
import { toIdentityDto } from '../identities/identities.dto.ts';
import { listUserIdentities } from '../identities/identities.repository.ts';
import { hashNewPassword } from '../passwords/passwords.service.ts';
import { deleteOtherSessions, deleteUserSession, listLiveSessions } from '../sessions/sessions.repository.ts';
import type { SessionRow } from '../sessions/sessions.table.ts';
import { toUserDto } from '../users/users.dto.ts';
import { setPasswordHash } from '../users/users.repository.ts';
import { verifyCredentials } from '../users/users.service.ts';
import { currentUser, isReauthenticated } from './reauthentication.ts';

/** Events in an export: every one kept (they are deleted after AUDIT_RETENTION_DAYS), up to this. */
const EXPORT_EVENTS_MAX = 10_000;

const iso = (ms: number) => new Date(ms).toISOString();

export function toDeviceDto(row: SessionRow, currentSessionId: string): Device {
  return {
    id: row.id,
    current: row.id === currentSessionId,
    createdAt: iso(row.created_at),
    lastUsedAt: iso(row.last_used_at ?? row.created_at),
    ip: row.ip,
    userAgent: row.user_agent,
    method: row.method === 'weibo' ? 'weibo' : 'password',
  };
}

export async function listDevices(deps: AppDeps, session: VerifiedSession): Promise<{ devices: Device[] }> {
  const rows = await listLiveSessions(deps.db, session.userId, deps.now());
  return { devices: rows.map((row) => toDeviceDto(row, session.sessionId)) };
}

/** Ends one of the account's sessions at once (this one too, if asked); DEVICE_NOT_FOUND for any other id. */
export async function signOutDevice(deps: AppDeps, id: string, session: VerifiedSession, request: RequestInfo): Promise<{ ok: true }> {
  const now = deps.now();
  await inTransaction(deps.db, async (trx) => {
    if (!(await deleteUserSession(trx, session.userId, id))) throw new AppError('DEVICE_NOT_FOUND');
    await recordEvent(trx, { kind: 'device_signed_out', userId: session.userId, ...request.client, at: now });
  });
  return { ok: true };
}

/**
 * Changes the password (with the current one: a wrong one is BAD_CREDENTIALS and counts toward
 * the lock-out), or sets one for an account that has none (after a re-authentication). Every
 * other session of the account ends.
 */
export async function setPassword(
  deps: AppDeps,
  input: { currentPassword?: string | undefined; newPassword: string },
  session: VerifiedSession,
  request: RequestInfo,
): Promise<{ ok: true }> {
  const user = await currentUser(deps, session);
  const changing = user.password_hash !== null;
  if (changing) {
    if (input.currentPassword === undefined) throw invalidInput('currentPassword', 'The current password is needed to change it.');
    await verifyCredentials(deps, { account: user.account, password: input.currentPassword }, request);
  } else {
    if (input.currentPassword !== undefined) throw invalidInput('currentPassword', 'This account has no password yet.');
    if (!(await isReauthenticated(deps.db, session, deps.now()))) throw new AppError('REAUTH_REQUIRED');
  }
  const hash = await hashNewPassword(deps.hasher, input.newPassword, request.signal);
  const now = deps.now();
  await inTransaction(deps.db, async (trx) => {
    await setPasswordHash(trx, user.id, hash, now);
    await deleteOtherSessions(trx, user.id, session.sessionId);
    await recordEvent(trx, { kind: changing ? 'password_changed' : 'password_set', userId: user.id, ...request.client, at: now });
  });
  return { ok: true };
}

/** Everything held about the account, for its owner (PIPL art. 45): never a secret, hash or token. */
export async function exportAccount(deps: AppDeps, session: VerifiedSession): Promise<AccountExport> {
  const now = deps.now();
  const [user, identities, sessions, events] = await Promise.all([
    currentUser(deps, session),
    listUserIdentities(deps.db, session.userId),
    listLiveSessions(deps.db, session.userId, now),
    listUserEvents(deps.db, session.userId, EXPORT_EVENTS_MAX),
  ]);
  return {
    exportedAt: iso(now),
    user: toUserDto(user),
    identities: identities.map(toIdentityDto),
    devices: sessions.map((row) => toDeviceDto(row, session.sessionId)),
    events: events.map(toActivityEvent),
  };
}

function invalidInput(field: string, message: string): AppError {
  return new AppError('INVALID_INPUT', { issues: [{ path: [field], message }] }, { message });
}
