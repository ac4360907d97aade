/**
 * Generated requests to every procedure over HTTP (fast-check): inputs of every JSON shape, the
 * right field names with hostile, huge, binary or mistyped values, wrong methods and content
 * types, broken bodies, batches, and headers (token, cookie, forwarded address) that are absent,
 * garbage or real. Placeholders ($STATE, $CODE, $TICKET, $TOKEN, $ACCOUNT, $PASSWORD, $COOKIE)
 * are replaced by live values just before sending, so the generated requests also get past the
 * first checks and into the services. No answer may be a 5xx or leave the closed set of reasons.
 */
import { ERROR_REASON_LIST } from '@weibo-login/shared';
import { createSimulatorControl, type SimulatorControl } from '@weibo-login/weibo-sim';
import fc from 'fast-check';
import { REDIRECT_URI } from './harness.ts';
import { HOSTILE_STRINGS, OFFSITE_REDIRECTS } from './hostile.ts';
import { Browser, call } from './http.ts';
import { PROCEDURES } from './procedures.ts';

type Procedure = string;
const NAMES = Object.keys(PROCEDURES);
const PLACEHOLDERS = ['$STATE', '$CODE', '$TICKET', '$TOKEN', '$ACCOUNT', '$PASSWORD'] as const;
const PASSWORD = 'fuzz-password-1';

const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PLACEHOLDERS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_STRINGS, ...OFFSITE_REDIRECTS, 'login', 'connect', true, false) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-zA-Z0-9_.-]{3,32}$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^\/[a-z0-9/?=&%#._-]{0,40}$/) },
  { weight: 1, arbitrary: fc.string({ minLength: 300, maxLength: 6000 }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.bigInt().map(String)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Values that pass the field's schema (or are live), so that requests get past validation. */
const plausible: Record<string, fc.Arbitrary<unknown>> = {
  code: fc.constant('$CODE'),
  state: fc.constant('$STATE'),
  ticket: fc.constant('$TICKET'),
  account: fc.oneof(
    fc.constant('$ACCOUNT'),
    fc.stringMatching(/^[a-zA-Z0-9_.-]{3,32}$/),
    fc.constantFrom('张三_fuzz', 'Ünïcödé', 'a.b-c_d'),
  ),
  password: fc.oneof(
    fc.constant('$PASSWORD'),
    fc.string({ minLength: 8, maxLength: 24 }),
    fc.string({ unit: 'grapheme', minLength: 8, maxLength: 18 }),
  ),
  redirectTo: fc.stringMatching(/^\/[a-z0-9/?=&%#._-]{0,40}$/),
  intent: fc.constantFrom('login', 'connect'),
  everywhere: fc.boolean(),
};

function inputOf(procedure: Procedure): fc.Arbitrary<unknown> {
  const fields = PROCEDURES[procedure]!.fields;
  const model = Object.fromEntries(
    fields.map((field) => [field, fc.oneof({ weight: 3, arbitrary: plausible[field] ?? value }, { weight: 2, arbitrary: value })]),
  );
  const extraKey = fc.constantFrom('__proto__', 'constructor', 'extra', 'uid', 'userId');
  return fc.oneof(
    { weight: 8, arbitrary: fc.record(model) },
    { weight: 3, arbitrary: fc.record(model, { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.tuple(fc.record(model), extraKey, value).map(([input, key, extra]) => ({ ...input, [key]: extra })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

export interface FuzzRequest {
  procedure: Procedure;
  input: unknown;
  /** The method the procedure wants, most of the time. */
  rightMethod: boolean;
  contentType: string | null;
  /** A body that is not the JSON of the input. */
  rawBody: string | null;
  batch: boolean;
  authorization: 'none' | '$TOKEN' | string;
  cookie: 'none' | '$COOKIE' | string;
  forwardedFor: string | null;
}

export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.constantFrom(...NAMES).chain((procedure) =>
  fc.record({
    procedure: fc.constant(procedure),
    input: inputOf(procedure),
    rightMethod: fc.oneof({ weight: 12, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    contentType: fc.oneof(
      { weight: 12, arbitrary: fc.constant('application/json') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          null,
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json; charset=utf-16',
          'multipart/form-data; boundary=x',
        ),
      },
    ),
    rawBody: fc.oneof(
      { weight: 15, arbitrary: fc.constant(null) },
      {
        weight: 1,
        arbitrary: fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('{', '{"account":', 'null', '[]', '""', '{"0":{"json":1}}')),
      },
    ),
    batch: fc.oneof({ weight: 15, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    authorization: fc.oneof(
      { weight: 4, arbitrary: fc.constant('$TOKEN') },
      { weight: 3, arbitrary: fc.constant('none') },
      { weight: 1, arbitrary: fc.string({ maxLength: 300 }).map((s) => `Bearer ${s}`) },
      { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
    ),
    cookie: fc.oneof(
      { weight: 5, arbitrary: fc.constant('$COOKIE') },
      { weight: 2, arbitrary: fc.constant('none') },
      { weight: 1, arbitrary: fc.string({ maxLength: 100 }).map((s) => `wl_browser=${encodeURIComponent(s)}`) },
    ),
    forwardedFor: fc.oneof(
      { weight: 3, arbitrary: fc.ipV4() },
      { weight: 1, arbitrary: fc.ipV6() },
      { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
      { weight: 1, arbitrary: fc.constant(null) },
    ),
  }),
);

/** Live values for the placeholders, drawn from pools that the fuzzing itself keeps using up. */
export class FuzzWorld {
  readonly base: string;
  private readonly sim: SimulatorControl;
  private readonly browser: Browser;
  private tokens: string[] = [];
  private accounts: string[] = [];
  private tickets: string[] = [];
  private uids: string[] = [];
  private seq = 0;
  sent = 0;
  readonly perProcedure = new Map<string, number>();
  readonly statuses = new Map<number, number>();
  readonly reasons = new Map<string, number>();

  constructor(base: string, simUrl: string) {
    this.base = base;
    this.sim = createSimulatorControl(simUrl);
    this.browser = new Browser(base);
  }

  private pick<T>(pool: T[]): T {
    return pool[Math.floor(Math.random() * pool.length)]!;
  }

  async prepare(accounts = 12, uids = 40): Promise<void> {
    await this.browser.call('weibo.authorizeUrl');
    for (let i = 0; i < accounts; i++) await this.newAccount();
    for (let i = 0; i < uids; i++) this.uids.push((await this.sim.createUser({ screenName: `fuzz ${i}` })).uid);
    for (let i = 0; i < 20; i++) await this.newTicket();
  }

  private async newAccount(): Promise<void> {
    const account = `fuzz_${process.pid}_${this.seq++}`;
    const result = await call<{ session: { token: string } }>(
      this.base,
      'auth.register',
      { account, password: PASSWORD },
      { headers: { 'x-forwarded-for': `192.0.2.${this.seq % 250}` } },
    );
    if (result.reason !== 'ok') throw new Error(`fuzz setup: register answered ${result.reason}`);
    this.accounts.push(account);
    this.tokens.push(result.data.session.token);
  }

  private async newTicket(): Promise<void> {
    // From an address of its own: the fuzzed requests fill 127.0.0.1's allowance of states.
    const browser = new Browser(this.base, { 'x-forwarded-for': `192.0.2.${this.seq % 250}` });
    const { state } = (await browser.call<{ state: string }>('weibo.authorizeUrl')).data;
    const uid = (await this.sim.createUser({ screenName: `fuzz t${this.seq++}` })).uid;
    const login = await browser.call<{ ticket?: string }>('weibo.login', { code: await this.code(uid), state });
    if (login.data?.ticket) this.tickets.push(login.data.ticket);
  }

  private async code(uid = this.pick(this.uids)): Promise<string> {
    return this.sim.mintCode({ uid, redirectUri: REDIRECT_URI });
  }

  private async fill(value: unknown, request: FuzzRequest, token: string | undefined): Promise<unknown> {
    if (Array.isArray(value)) return Promise.all(value.map((v) => this.fill(v, request, token)));
    if (value && typeof value === 'object')
      return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await this.fill(v, request, token)])));
    switch (value) {
      case '$STATE': {
        const connect = request.procedure === 'weibo.connect' && token !== undefined;
        const issued = await this.browser.call<{ state: string }>(
          'weibo.authorizeUrl',
          connect ? { intent: 'connect' } : undefined,
          connect ? { token } : {},
        );
        return issued.data?.state ?? 'no-state';
      }
      case '$CODE':
        return this.code();
      case '$TICKET':
        if (Math.random() < 0.3) await this.newTicket();
        return this.pick(this.tickets);
      case '$TOKEN':
        return this.pick(this.tokens);
      case '$ACCOUNT':
        return this.pick(this.accounts);
      case '$PASSWORD':
        return PASSWORD;
      default:
        return value;
    }
  }

  /** Sends one generated request; returns a description of what was wrong with the answer, or null. */
  async send(request: FuzzRequest): Promise<string | null> {
    const spec = PROCEDURES[request.procedure]!;
    const token = request.authorization === '$TOKEN' ? this.pick(this.tokens) : undefined;
    const input = await this.fill(request.input, request, token);
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    else if (request.authorization !== 'none') headers.authorization = request.authorization;
    if (request.cookie === '$COOKIE') headers.cookie = this.browser.cookie;
    else if (request.cookie !== 'none') headers.cookie = request.cookie;
    if (request.forwardedFor) headers['x-forwarded-for'] = request.forwardedFor;
    const method = (spec.kind === 'query') === request.rightMethod ? 'GET' : 'POST';
    const payload = request.batch ? { 0: input } : input;
    let url = `${this.base}/trpc/${request.procedure}${request.batch ? `,${request.procedure}` : ''}`;
    const query: string[] = request.batch ? ['batch=1'] : [];
    const init: RequestInit = { method, headers };
    if (method === 'GET') {
      if (payload !== undefined) query.push(`input=${encodeURIComponent(JSON.stringify(payload) ?? '')}`);
    } else {
      if (request.contentType) headers['content-type'] = request.contentType;
      init.body = request.rawBody ?? (payload === undefined ? '' : JSON.stringify(payload));
    }
    if (query.length > 0) url += `?${query.join('&')}`;
    const response = await fetch(url, init);
    const text = await response.text();
    this.sent++;
    this.perProcedure.set(request.procedure, (this.perProcedure.get(request.procedure) ?? 0) + 1);
    this.statuses.set(response.status, (this.statuses.get(response.status) ?? 0) + 1);
    if (request.procedure === 'auth.logout' && response.ok && token) {
      // That session is over; keep the pool alive.
      this.tokens = this.tokens.filter((t) => t !== token);
      await this.newAccount();
    }
    if (response.status >= 500) return `${response.status} ${text.slice(0, 300)}`;
    if (/"stack"|at \S+ \(/.test(text)) return `a stack trace in ${text.slice(0, 300)}`;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return `not JSON: ${text.slice(0, 200)}`;
    }
    for (const item of Array.isArray(body) ? body : [body]) {
      const reason = (item as { error?: { data?: { reason?: string } } }).error?.data?.reason;
      if ((item as { error?: unknown }).error === undefined) continue;
      this.reasons.set(String(reason), (this.reasons.get(String(reason)) ?? 0) + 1);
      if (!reason || !ERROR_REASON_LIST.includes(reason as never) || reason === 'INTERNAL')
        return `reason ${reason}: ${text.slice(0, 300)}`;
    }
    return null;
  }
}

/** Runs `runs` generated requests; throws with the request and the answer on the first bad one. */
export async function fuzz(world: FuzzWorld, runs: number, onProgress?: (done: number) => void): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fuzzRequest, async (request) => {
      const problem = await world.send(request);
      if (onProgress) onProgress(world.sent);
      if (problem) throw new Error(`${problem}\nrequest: ${JSON.stringify(request).slice(0, 1000)}`);
    }),
    { numRuns: runs, endOnFailure: true },
  );
}
