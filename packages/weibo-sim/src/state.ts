/**
 * All simulator state, in memory: apps, users, authorization codes, tokens and request counters.
 * Expired entries are swept periodically and both maps are capped, so a long benchmark cannot grow memory without bound.
 */
import { AuthorizeLog, NO_DISPLAY, type AuthorizePage } from './authorize-log.ts';
import { randomAccessToken, randomCodes } from './random-ids.ts';
import { RateLimiter } from './rate-limits.ts';
import type { CodeRecord, SimApp, SimUser, TokenRecord } from './types.ts';

/** Beyond these, the oldest entries are dropped (Maps iterate in insertion order). */
const MAX_CODES = 500_000;
const MAX_TOKENS = 1_000_000;
/** Expired tokens are kept this long so they still answer 21327 (expired) rather than 21332 (unknown). */
const EXPIRED_TOKEN_GRACE_MS = 60 * 60 * 1000;

export type RequestCounters = {
  authorize: number;
  decision: number;
  access_token: number;
  get_token_info: number;
  users_show: number;
  get_uid: number;
  revokeoauth2: number;
};

export type TokenLookup =
  | { kind: 'ok'; record: TokenRecord }
  | { kind: 'expired'; record: TokenRecord }
  | { kind: 'revoked'; record: TokenRecord }
  | { kind: 'invalid' };

/** Who minted a code: the desktop or phone authorize page, or the control API's /__sim/codes. */
export type CodeSource = AuthorizePage | 'control';

export type Clock = { now?: () => number; rateLimitWindowMs?: number };

function cloneApp(app: SimApp): SimApp {
  const copy = { ...app, redirectUris: [...app.redirectUris], testUids: [...app.testUids] };
  if (app.rateLimits) copy.rateLimits = { ...app.rateLimits };
  return copy;
}

function zeroCodeSources(): Record<CodeSource, number> {
  return { desktop: 0, mobile: 0, control: 0 };
}

export class SimState {
  readonly apps = new Map<string, SimApp>();
  readonly users = new Map<string, SimUser>();
  readonly codes = new Map<string, CodeRecord>();
  readonly tokens = new Map<string, TokenRecord>();
  requests: RequestCounters = SimState.zeroCounters();
  codesIssued = 0;
  tokensIssued = 0;
  faultsApplied = 0;
  cancelCallbacks = { sent: 0, failed: 0 };
  codesByDisplay: Record<string, number> = {};
  codesBySource = zeroCodeSources();
  readonly authorizeLog = new AuthorizeLog();
  readonly rateLimiter: RateLimiter;
  /** The simulator's clock; injectable so tests can cross expiry and rate-limit windows without sleeping. */
  readonly now: () => number;

  readonly codeTtlMs: number;
  readonly tokenTtlSeconds: number;
  private readonly initialApps: SimApp[];
  private readonly initialUsers: SimUser[];

  constructor(apps: SimApp[], users: SimUser[], codeTtlMs: number, tokenTtlSeconds: number, clock: Clock = {}) {
    // Deep copies: callers may mutate the arrays they passed in (DEMO_APP is a shared export).
    this.initialApps = apps.map(cloneApp);
    this.initialUsers = users.map((u) => ({ ...u }));
    this.codeTtlMs = codeTtlMs;
    this.tokenTtlSeconds = tokenTtlSeconds;
    this.now = clock.now ?? Date.now;
    this.rateLimiter = new RateLimiter(this.now, clock.rateLimitWindowMs ?? 60 * 60 * 1000);
    this.reset();
  }

  static zeroCounters(): RequestCounters {
    return { authorize: 0, decision: 0, access_token: 0, get_token_info: 0, users_show: 0, get_uid: 0, revokeoauth2: 0 };
  }

  reset(): void {
    this.apps.clear();
    for (const app of this.initialApps) this.apps.set(app.clientId, cloneApp(app));
    this.users.clear();
    for (const user of this.initialUsers) this.users.set(user.uid, { ...user });
    this.codes.clear();
    this.tokens.clear();
    this.requests = SimState.zeroCounters();
    this.codesIssued = 0;
    this.tokensIssued = 0;
    this.faultsApplied = 0;
    this.cancelCallbacks = { sent: 0, failed: 0 };
    this.codesByDisplay = {};
    this.codesBySource = zeroCodeSources();
    this.authorizeLog.clear();
    this.rateLimiter.reset();
  }

  firstApp(): SimApp | undefined {
    return this.apps.values().next().value;
  }

  /** Mints `count` codes for one approval's parameters, exactly what the consent page's "授权" does. */
  mintCodes(grant: Omit<CodeRecord, 'expiresAt'>, count = 1, source: CodeSource = 'control'): string[] {
    const expiresAt = this.now() + this.codeTtlMs;
    const codes = randomCodes(count);
    for (const code of codes) this.codes.set(code, { ...grant, expiresAt });
    this.codesIssued += count;
    const display = grant.display ?? NO_DISPLAY;
    this.codesByDisplay[display] = (this.codesByDisplay[display] ?? 0) + count;
    this.codesBySource[source] += count;
    dropOldest(this.codes, MAX_CODES);
    return codes;
  }

  /** Removes the code whatever happens next: codes are single use even when the exchange then fails. */
  consumeCode(code: string): CodeRecord | undefined {
    const record = this.codes.get(code);
    if (!record) return undefined;
    this.codes.delete(code);
    return record.expiresAt > this.now() ? record : undefined;
  }

  issueToken(uid: string, clientId: string, scope: string | null): TokenRecord {
    const ttlSeconds = this.apps.get(clientId)?.tokenTtlSeconds ?? this.tokenTtlSeconds;
    const now = this.now();
    let token = randomAccessToken();
    while (this.tokens.has(token)) token = randomAccessToken();
    const record: TokenRecord = { token, uid, clientId, scope, createdAt: now, expiresAt: now + ttlSeconds * 1000, revoked: false };
    this.tokens.set(token, record);
    this.tokensIssued++;
    dropOldest(this.tokens, MAX_TOKENS);
    return record;
  }

  lookupToken(token: string | undefined): TokenLookup {
    const record = token ? this.tokens.get(token) : undefined;
    if (!record) return { kind: 'invalid' };
    if (record.revoked) return { kind: 'revoked', record };
    if (record.expiresAt <= this.now()) return { kind: 'expired', record };
    return { kind: 'ok', record };
  }

  /** Live (not revoked) tokens of a user, optionally for one app only. */
  tokensOfUser(uid: string, clientId?: string): TokenRecord[] {
    const found: TokenRecord[] = [];
    for (const record of this.tokens.values()) {
      if (record.uid === uid && !record.revoked && (clientId === undefined || record.clientId === clientId)) found.push(record);
    }
    return found;
  }

  /**
   * Drops expired codes, long-expired tokens and revoked tokens. A revoked token is indistinguishable from an unknown
   * one, except in an unaudited app, where it answers 21321 (reference §5), so those are kept like expired ones.
   */
  sweep(now = this.now()): void {
    for (const [code, record] of this.codes) if (record.expiresAt <= now) this.codes.delete(code);
    for (const [token, record] of this.tokens) {
      const revealsRevocation = this.apps.get(record.clientId)?.audited === false;
      if ((record.revoked && !revealsRevocation) || record.expiresAt + EXPIRED_TOKEN_GRACE_MS <= now) this.tokens.delete(token);
    }
  }
}

function dropOldest<K, V>(map: Map<K, V>, max: number): void {
  if (map.size <= max) return;
  let excess = map.size - max;
  for (const key of map.keys()) {
    if (excess-- <= 0) break;
    map.delete(key);
  }
}
