/**
 * Sina Weibo as an OAuthProvider. Every Weibo URL, field name and quirk lives in this file
 * (see shared/reference/weibo-api.md; the § numbers below point into it).
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { WeiboConfig } from '../types.ts';
import { type CallResult, createProviderHttp } from './http.ts';
import { type Metrics, NO_METRICS, type WeiboCallOutcome, weiboErrorOutcome } from '../observability/metrics.ts';
import { weiboRefusal } from './weibo-refusals.ts';
import type { OAuthProvider, ProviderProfile, ProviderToken, TokenStatus } from './provider.ts';

/** The real Weibo's addresses: the defaults of WEIBO_AUTHORIZE_URL and WEIBO_API_BASE (§1). */
export const WEIBO_DEFAULT_URLS = {
  authorizeUrl: 'https://api.weibo.com/oauth2/authorize',
  /** §1: the phone (H5) page is the same path on open.weibo.cn, with display=mobile. */
  mobileAuthorizeUrl: 'https://open.weibo.cn/oauth2/authorize',
  apiBase: 'https://api.weibo.com',
} as const;
/** The simulator (`pnpm dev`) has one host: it serves the phone page under open.weibo.cn's name as a path. */
export const SIMULATOR_MOBILE_AUTHORIZE_PATH = '/open.weibo.cn/oauth2/authorize';

/** §3, §5, §6: answers that mean a token is no longer any good. */
const TOKEN_DEAD = new Set([21314, 21315, 21316, 21317, 21319, 21325, 21327, 21332]);

/** §9 P2, P6: ids are strings of digits, sometimes sent as numbers; normalise to strings. */
const weiboId = z.union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative().refine(Number.isSafeInteger).transform(String)]);
const seconds = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).pipe(z.number().int().positive());

/** §2: access_token string, uid string, expires_in number; unknown fields (isRealName…) ignored. */
const tokenAnswer = z.object({ access_token: z.string().min(1).max(255), uid: weiboId, expires_in: seconds.optional() });
/** §4: prefer `idstr` (a string) to `id` (a number). */
const profileAnswer = z.object({
  idstr: weiboId.optional(),
  id: weiboId.optional(),
  screen_name: z.string().min(1).max(255),
  avatar_hd: z.unknown().optional(),
  avatar_large: z.unknown().optional(),
  profile_image_url: z.unknown().optional(),
});
const errorAnswer = z.object({ error_code: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]) });
const tokenInfoAnswer = z.object({
  expire_in: z.union([
    z.number(),
    z
      .string()
      .regex(/^-?\d+$/)
      .transform(Number),
  ]),
});

/** Checked before zod is asked: a failed safeParse builds its issues, which on every good answer
 * (two per login) cost more than the rest of parsing it. */
const isErrorAnswer = (json: unknown): boolean =>
  typeof json === 'object' && json !== null && 'error_code' in json && errorAnswer.safeParse(json).success;

type Step = Parameters<typeof weiboRefusal>[0];

/** The outcome of a call that went wrong (for the metrics), or null for a 2xx JSON answer without
 * an error code: a timeout, the network, a body that is no JSON (or too large), Weibo's error code,
 * or another status. */
function failedOutcome(result: CallResult): WeiboCallOutcome | null {
  if (!result.ok) return result.failure === 'timeout' || result.failure === 'network' ? result.failure : 'bad_answer';
  if (isErrorAnswer(result.json)) {
    const weiboError = errorAnswer.safeParse(result.json);
    return weiboError.success ? weiboErrorOutcome(weiboError.data.error_code) : 'error_other';
  }
  return result.status >= 300 ? 'bad_answer' : null;
}

/** 1 day: what a test-level app gets (§7) when the answer has no expires_in. */
const DEFAULT_TOKEN_SECONDS = 86_400;

export function createWeiboProvider(
  config: WeiboConfig,
  logger: Logger,
  now: () => number = Date.now,
  metrics: Pick<Metrics, 'weiboCall'> = NO_METRICS,
): OAuthProvider {
  const http = createProviderHttp(config.timeoutMs);
  const providerLog = logger.child({ provider: 'weibo' });
  /** Where a call's lines go: the request's logger if it gave one (made only when there is a line). */
  const logOf = (requestLog: Logger | undefined): Logger => (requestLog ? requestLog.child({ provider: 'weibo' }) : providerLog);
  const endpoint = (path: string) => `${config.apiBase}${path}`;

  /** Turns a failed or error answer into the reason the user sees; logs what an operator needs. */
  function refusal(step: Step, result: CallResult, requestLog: Logger | undefined): AppError {
    const log = logOf(requestLog);
    if (!result.ok) {
      log.warn({ step, failure: result.failure, status: result.status }, 'weibo call failed');
      return new AppError('WEIBO_UNAVAILABLE');
    }
    const weiboError = errorAnswer.safeParse(result.json);
    const code = weiboError.success ? weiboError.data.error_code : undefined;
    const { reason, level, hint } = weiboRefusal(step, code);
    if (level === 'error')
      log.error({ step, status: result.status, weiboErrorCode: code, check: hint }, 'weibo rejected this site’s configuration');
    else log.warn({ step, status: result.status, weiboErrorCode: code, ...(hint ? { hint } : {}) }, 'weibo refused');
    return new AppError(reason);
  }

  /** One call to Weibo, timed: `record` counts it (metrics) once its outcome is known. */
  async function call(step: Step, url: string, init: Parameters<typeof http.call>[1]) {
    const started = performance.now();
    const result = await http.call(url, init);
    return { result, record: (outcome: WeiboCallOutcome) => metrics.weiboCall(step, outcome, (performance.now() - started) / 1000) };
  }

  /** An answer is usable only if it is 2xx, carries no error_code, and has the expected shape. */
  function parse<T>(step: Step, answer: Awaited<ReturnType<typeof call>>, schema: z.ZodType<T>, requestLog: Logger | undefined): T {
    const { result, record } = answer;
    const failed = failedOutcome(result);
    if (failed) {
      record(failed);
      throw refusal(step, result, requestLog);
    }
    const parsed = schema.safeParse((result as { json: unknown }).json);
    if (!parsed.success) {
      record('bad_answer');
      logOf(requestLog).warn(
        { step, status: (result as { status: number }).status, issues: parsed.error.issues.map((i) => i.path.join('.')) },
        'weibo answered nonsense',
      );
      throw new AppError('WEIBO_UNAVAILABLE');
    }
    record('ok');
    return parsed.data;
  }

  return {
    id: 'weibo',

    authorizeUrl({ state, forceLogin, display }) {
      // §1: the phone page is another host (open.weibo.cn), asked for with display=mobile.
      const url = new URL(display === 'mobile' ? config.mobileAuthorizeUrl : config.authorizeUrl);
      url.searchParams.set('client_id', config.clientId);
      // §7: sent identically at authorize and at token time.
      url.searchParams.set('redirect_uri', config.redirectUri);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('state', state);
      if (forceLogin) url.searchParams.set('forcelogin', 'true');
      if (display === 'mobile') url.searchParams.set('display', 'mobile');
      return url.toString();
    },

    async exchangeCode(code, requestLog) {
      // §2: POST the form. §9 P1: the answer is text/plain JSON, parsed regardless.
      const result = await call('access_token', endpoint('/oauth2/access_token'), {
        method: 'POST',
        form: {
          client_id: config.clientId,
          client_secret: config.clientSecret,
          grant_type: 'authorization_code',
          code,
          redirect_uri: config.redirectUri,
        },
      });
      const answer = parse('access_token', result, tokenAnswer, requestLog);
      return { uid: answer.uid, accessToken: answer.access_token, expiresAt: now() + (answer.expires_in ?? DEFAULT_TOKEN_SECONDS) * 1000 };
    },

    async fetchProfile(token: ProviderToken, requestLog?: Logger): Promise<ProviderProfile> {
      // §4, §9 P8: the token goes in an `OAuth2` header, which keeps it out of URLs and logs.
      const url = `${endpoint('/2/users/show.json')}?uid=${encodeURIComponent(token.uid)}`;
      const result = await call('users_show', url, { method: 'GET', headers: { authorization: `OAuth2 ${token.accessToken}` } });
      const answer = parse('users_show', result, profileAnswer, requestLog);
      const uid = answer.idstr ?? answer.id;
      if (uid !== token.uid) {
        logOf(requestLog).warn({ step: 'users_show' }, 'weibo profile is for another uid');
        throw new AppError('WEIBO_UNAVAILABLE');
      }
      return { uid, screenName: answer.screen_name, avatarUrl: pickAvatar(answer) };
    },

    async tokenStatus(accessToken): Promise<TokenStatus> {
      const { result, record } = await call('get_token_info', endpoint('/oauth2/get_token_info'), {
        method: 'POST',
        form: { access_token: accessToken },
      });
      const failed = failedOutcome(result);
      if (failed) record(failed);
      if (!result.ok) return 'unknown';
      const weiboError = errorAnswer.safeParse(result.json);
      if (weiboError.success) return TOKEN_DEAD.has(weiboError.data.error_code) ? 'dead' : 'unknown';
      const info = tokenInfoAnswer.safeParse(result.json);
      if (result.status >= 300) return 'unknown';
      record(info.success ? 'ok' : 'bad_answer');
      if (!info.success) return 'unknown';
      // §3, §9 P13: `expire_in` (singular) is the remaining lifetime; ≤ 0 is expired.
      return info.data.expire_in > 0 ? 'alive' : 'dead';
    },

    async revoke(accessToken, requestLog) {
      // §5: POST access_token; success is {"result":"true"} (a string), failure the usual error JSON.
      const { result, record } = await call('revokeoauth2', endpoint('/oauth2/revokeoauth2'), {
        method: 'POST',
        form: { access_token: accessToken },
      });
      record(failedOutcome(result) ?? 'ok');
      const weiboError = result.ok ? errorAnswer.safeParse(result.json) : null;
      if (weiboError?.success && TOKEN_DEAD.has(weiboError.data.error_code)) return 'dead';
      if (result.ok && result.status < 300 && !weiboError?.success) return 'revoked';
      logOf(requestLog).warn(
        {
          step: 'revokeoauth2',
          status: result.ok ? result.status : result.failure,
          weiboErrorCode: weiboError?.success ? weiboError.data.error_code : undefined,
        },
        'weibo revoke failed',
      );
      return 'failed';
    },

    isOwnApp: (source) => source === config.clientId,
    close: () => http.close(),
  };
}

/** §4: omniauth's order, largest first; only http(s) URLs, so nothing else reaches an <img src>. */
function pickAvatar(answer: z.infer<typeof profileAnswer>): string | null {
  for (const candidate of [answer.avatar_hd, answer.avatar_large, answer.profile_image_url]) {
    if (typeof candidate === 'string' && candidate.length <= 1024 && /^https?:\/\/[^\s]+$/i.test(candidate)) return candidate;
  }
  return null;
}
