/**
 * The `error` fault: any of Weibo's error codes, answered at any endpoint in the body that endpoint uses, so clients
 * can be tested against refusals the simulator does not otherwise produce there (21320 from a proxy that strips
 * https, 21326 for an app without permission, 10022 at the token endpoint whose quotas are unconfirmed, …).
 */
import type { FaultEndpoint } from './faults.ts';
import type { SimResponse } from './types.ts';
import {
  API_ERRORS,
  OAUTH_ERRORS,
  apiError,
  apiErrorText,
  jsonResponse,
  oauthError,
  type ApiErrorCode,
  type OAuthErrorName,
} from './weibo-errors.ts';

export type WeiboErrorCode = ApiErrorCode | (typeof OAUTH_ERRORS)[OAuthErrorName];

const OAUTH_NAME_OF = new Map<number, OAuthErrorName>(Object.entries(OAUTH_ERRORS).map(([name, code]) => [code, name as OAuthErrorName]));

export const WEIBO_ERROR_CODES: readonly WeiboErrorCode[] = [
  ...(Object.keys(API_ERRORS).map(Number) as ApiErrorCode[]),
  ...Object.values(OAUTH_ERRORS),
].sort((a, b) => a - b);

export function isWeiboErrorCode(value: number): value is WeiboErrorCode {
  return (WEIBO_ERROR_CODES as readonly number[]).includes(value);
}

/**
 * HTTP statuses. Observed: 400 for invalid_grant, 401 for a wrong secret, 403 for access_denied and the rate limits,
 * 401 for token problems at /2/. The rest are guesses by kind: refusals 403, bad requests 400, outages 5xx.
 */
function statusOf(code: WeiboErrorCode, atApi: boolean): number {
  switch (code) {
    case 10001:
      return 500;
    case 21331:
      return 503;
    case 21324:
      return 401;
    case 21319:
    case 21327:
    case 21332:
      return atApi ? 401 : 400;
    case 10022:
    case 10023:
    case 10024:
    case 21301:
    case 21320:
    case 21321:
    case 21330:
    case 21335:
      return 403;
    case 21326:
      return atApi ? 403 : 400;
    default:
      return 400;
  }
}

/** error_description for OAuth-word errors, in the style of the ones the server was seen to send. */
function describe(name: OAuthErrorName, params: Record<string, string | undefined>): string {
  switch (name) {
    case 'invalid_client':
      return `unknow client id:${params.client_id ?? ''}`;
    case 'invalid_grant':
      return `invalid authorization code:${params.code ?? ''}`;
    case 'expired_token':
    case 'invalid_access_token':
      return `${name}:${params.access_token ?? ''}`;
    case 'unsupported_grant_type':
      return `unsupported grant type:${params.grant_type ?? ''}`;
    default:
      return name.replace(/_/g, ' ');
  }
}

/**
 * The body `code` gets at `endpoint`. The token endpoint always answers its five-key form
 * (`error, error_code, request, error_uri, error_description`); the other /oauth2/ endpoints use it for OAuth
 * words, as their natural errors do; the /2/ API answers `{error, error_code, request}`.
 */
export function errorFaultResponse(
  code: WeiboErrorCode,
  endpoint: FaultEndpoint,
  path: string,
  contentType: string,
  params: Record<string, string | undefined>,
): SimResponse {
  const atApi = endpoint === 'users_show' || endpoint === 'get_uid';
  const status = statusOf(code, atApi);
  const name = OAUTH_NAME_OF.get(code);
  if (name) {
    if (atApi) return jsonResponse(status, { error: name, error_code: code, request: path }, contentType);
    return oauthError(status, name, path, describe(name, params), contentType);
  }
  const apiCode = code as ApiErrorCode;
  if (endpoint !== 'access_token') return apiError(status, apiCode, path, contentType);
  const text = apiErrorText(apiCode, path);
  return jsonResponse(status, { error: text, error_code: code, request: path, error_uri: path, error_description: text }, contentType);
}
