import { randomInt } from 'node:crypto';
import type { SignedIn, User, Identity, ActivityEvent } from '@weibo-login/shared';
import type { AppDeps } from '../../deps.ts';
import type { ClientInfo, RequestInfo, VerifiedSession } from '../../types.ts';
import type { DbHandle } from '../../db/database.ts';
import { isMissingParentRow, violatedUniqueIndex } from '../../db/errors.ts';
import { inTransaction } from '../../db/transaction.ts';
import { AppError } from '../../errors.ts';
import { toActivityEvent } from '../audit/activity.dto.ts';
import { listUserEvents, recordEvent } from '../audit/audit.repository.ts';
import { toIdentityDto } from '../identities/identities.dto.ts';
import { listUserIdentities } from '../identities/identities.repository.ts';
import { sha256Hex } from '../../crypto/random.ts';
import { rememberBrowser } from '../passwords/known-browsers.repository.ts';
import { costOf } from '../passwords/password-hasher.ts';
import { checkPassword, hashNewPassword, type UserWithPassword } from '../passwords/passwords.service.ts';
import { endSession, startSession } from '../sessions/sessions.service.ts';
import { toSignedIn } from '../sessions/signed-in.ts';
import { toUserDto } from './users.dto.ts';
import { accountKeyOf, findUserByAccountKey, findUserById, insertUser, replacePasswordHash } from './users.repository.ts';
import type { UserRow } from './users.table.ts';

const ACTIVITY_LIMIT = 50;

export interface Credentials {
  account: string;
  password: string;
}

/** Creates an account inside the caller's transaction; the unique index settles races. */
export async function createUser(
  trx: DbHandle,
  account: string,
  passwordHash: string | null,
  profile: { displayName: string | null; avatarUrl: string | null },
  now: number,
): Promise<UserRow> {
  try {
    return await insertUser(trx, {
      account,
      account_key: accountKeyOf(account),
      password_hash: passwordHash,
      display_name: profile.displayName,
      avatar_url: profile.avatarUrl,
      created_at: now,
      updated_at: now,
    });
  } catch (error) {
    if (violatedUniqueIndex(error) === 'users_account_key_unique') throw new AppError('ACCOUNT_TAKEN', {}, { cause: error });
    throw error;
  }
}

/** Names made for accounts created from Weibo without one: `wb_` and 8 lowercase letters or digits
 * (36^8 ≈ 2.8 × 10^12 of them). A name already taken is drawn again, inside the same transaction
 * (a refused insert undoes only itself on both databases); MADE_NAME_ATTEMPTS in a row taken would
 * mean a broken generator, not bad luck. */
const MADE_NAME_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const MADE_NAME_LENGTH = 8;
const MADE_NAME_ATTEMPTS = 5;

export const madeAccountName = (): string =>
  `wb_${Array.from({ length: MADE_NAME_LENGTH }, () => MADE_NAME_ALPHABET[randomInt(MADE_NAME_ALPHABET.length)]).join('')}`;

export async function createUserWithMadeName(
  trx: DbHandle,
  passwordHash: string | null,
  profile: { displayName: string | null; avatarUrl: string | null },
  now: number,
  makeName: () => string = madeAccountName,
): Promise<UserRow> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createUser(trx, makeName(), passwordHash, profile, now);
    } catch (error) {
      if (!(error instanceof AppError && error.reason === 'ACCOUNT_TAKEN') || attempt >= MADE_NAME_ATTEMPTS) throw error;
    }
  }
}

/** Finds the account and checks its password under the attempt limits. */
export async function verifyCredentials(deps: AppDeps, credentials: Credentials, request: RequestInfo): Promise<UserWithPassword> {
  const accountKey = accountKeyOf(credentials.account);
  const user = await findUserByAccountKey(deps.db, accountKey);
  const now = deps.now();
  const checked = await checkPassword(deps.db, deps.hasher, {
    accountKey,
    user,
    password: credentials.password,
    client: request.client,
    addressKey: request.addressKey,
    browserHash: request.browserId === null ? null : sha256Hex(request.browserId),
    signal: request.signal,
    storedCost: deps.storedHashCost.current,
    now,
    metrics: deps.metrics,
  });
  if (costOf(checked.password_hash) !== deps.hasher.cost) rehashInBackground(deps, checked, credentials.password);
  return checked;
}

/** After BCRYPT_COST changed, a right password is hashed again at the new cost, off the answer's
 * path; a sign-in (or a full queue) in the meantime changes nothing. */
function rehashInBackground(deps: AppDeps, user: UserWithPassword, password: string): void {
  deps.hasher
    .hash(password)
    .then((hash) => replacePasswordHash(deps.db, user.id, user.password_hash, hash, deps.now()))
    .catch((error: unknown) =>
      deps.log.warn({ err: error, userId: user.id }, 'rehash at the new bcrypt cost failed; it is tried at the next sign-in'),
    );
}

/** The browser that just signed in with the password is one the account knows from now on. */
export async function rememberSignedInBrowser(
  deps: AppDeps,
  trx: DbHandle,
  userId: number,
  request: RequestInfo,
  now: number,
): Promise<void> {
  if (request.browserId !== null) await rememberBrowser(trx, userId, sha256Hex(request.browserId), now);
}

/**
 * Before a new account's hash (`account` null: a name will be made): refused at once when the address's (or the site's) new accounts are
 * spent, then the name's availability (a taken name costs no hash and no allowance: a database
 * outage or a typo does not spend it), then the rate is counted. The insert's unique index still
 * settles a race for the name.
 */
export async function admitNewAccount(deps: AppDeps, account: string | null, request: RequestInfo): Promise<void> {
  await deps.limits.refuseSpentRegistrations(request.addressKey);
  // A name made by createUserWithMadeName is drawn inside the insert's transaction instead.
  if (account !== null && (await findUserByAccountKey(deps.db, accountKeyOf(account)))) throw new AppError('ACCOUNT_TAKEN');
  await deps.limits.admitRegistration(request.addressKey);
}

/** A new account: admitted (admitNewAccount), hashed (bounded queue), inserted. */
export async function registerWithPassword(deps: AppDeps, credentials: Credentials, request: RequestInfo): Promise<SignedIn> {
  await admitNewAccount(deps, credentials.account, request);
  const passwordHash = await hashNewPassword(deps.hasher, credentials.password, request.signal);
  const now = deps.now();
  const { client } = request;
  return inTransaction(deps.db, async (trx) => {
    const user = await createUser(trx, credentials.account, passwordHash, { displayName: null, avatarUrl: null }, now);
    await recordEvent(trx, { kind: 'account_created', userId: user.id, ...client, at: now });
    await recordEvent(trx, { kind: 'sign_in_password', userId: user.id, ...client, at: now });
    await rememberSignedInBrowser(deps, trx, user.id, request, now);
    return toSignedIn(user, await startSession(trx, deps, user.id, client, now, 'password'), '/');
  });
}

/** (2e) An account an operator disabled cannot sign in, by password or by Weibo. Asked only once
 * the password (or the Weibo uid) is proven, so it tells nothing to a stranger. */
export function requireEnabled(user: { disabled_at: number | null }): void {
  if (user.disabled_at !== null) throw new AppError('ACCOUNT_DISABLED');
}

export async function loginWithPassword(deps: AppDeps, credentials: Credentials, request: RequestInfo): Promise<SignedIn> {
  const user = await verifyCredentials(deps, credentials, request);
  requireEnabled(user);
  const now = deps.now();
  const { client } = request;
  return answerIfAccountDeleted(
    inTransaction(deps.db, async (trx) => {
      await recordEvent(trx, { kind: 'sign_in_password', userId: user.id, ...client, at: now });
      await rememberSignedInBrowser(deps, trx, user.id, request, now);
      return toSignedIn(user, await startSession(trx, deps, user.id, client, now, 'password'), '/');
    }),
    'BAD_CREDENTIALS',
  );
}

/** The writes of a call for an account deleted since the call read it (account.delete in between,
 * test/account-deletion.test.ts): the foreign key refuses them, the transaction is undone, and the
 * call is answered `reason` rather than with the database's error. A password sign-in or a bind
 * answers BAD_CREDENTIALS, as for a name that does not exist; a session's call UNAUTHENTICATED. */
export async function answerIfAccountDeleted<T>(work: Promise<T>, reason: 'BAD_CREDENTIALS' | 'UNAUTHENTICATED'): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isMissingParentRow(error)) throw new AppError(reason, {}, { cause: error });
    throw error;
  }
}

export async function describeAccount(deps: AppDeps, session: VerifiedSession): Promise<{ user: User; identities: Identity[] }> {
  const [user, identities] = await Promise.all([findUserById(deps.db, session.userId), listUserIdentities(deps.db, session.userId)]);
  if (!user) throw new AppError('UNAUTHENTICATED');
  return { user: toUserDto(user), identities: identities.map(toIdentityDto) };
}

export async function logout(deps: AppDeps, session: VerifiedSession, everywhere: boolean, client: ClientInfo): Promise<{ ok: true }> {
  const now = deps.now();
  await inTransaction(deps.db, async (trx) => {
    await endSession(trx, session, everywhere);
    await recordEvent(trx, { kind: everywhere ? 'logout_everywhere' : 'logout', userId: session.userId, ...client, at: now });
  });
  return { ok: true };
}

export async function listActivity(deps: AppDeps, session: VerifiedSession): Promise<{ events: ActivityEvent[] }> {
  const rows = await listUserEvents(deps.db, session.userId, ACTIVITY_LIMIT);
  return { events: rows.map(toActivityEvent) };
}
