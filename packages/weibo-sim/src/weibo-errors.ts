/**
 * Weibo's two error body shapes (reference §2 and §4) and the response helpers every endpoint uses.
 * error_code is always a JSON number, as every captured response has it.
 */
import type { SimResponse } from './types.ts';

export const JSON_TYPE = 'application/json;charset=UTF-8';
/** The token endpoint's quirk (pitfall P1): JSON served as text/plain, to catch header-trusting clients. */
export const TOKEN_TYPE = 'text/plain;charset=UTF-8';

/** OAuth2-level errors: `error` is a machine word, `error_code` the 213xx number. */
export const OAUTH_ERRORS = {
  redirect_uri_mismatch: 21322,
  invalid_request: 21323,
  invalid_client: 21324,
  invalid_grant: 21325,
  unauthorized_client: 21326,
  expired_token: 21327,
  unsupported_grant_type: 21328,
  unsupported_response_type: 21329,
  access_denied: 21330,
  temporarily_unavailable: 21331,
  invalid_access_token: 21332,
} as const;
export type OAuthErrorName = keyof typeof OAUTH_ERRORS;

/**
 * API-level errors: `error` is a human sentence (Weibo's own spelling, typos included). The rate-limit sentences are
 * as captured from the server (`{"error":"User requests out of rate limit!","error_code":10023,...}` in public code);
 * 21319, 21320 and 21335 follow the Error_code wiki's wording, never seen in a captured body.
 */
export const API_ERRORS = {
  10001: 'system error!',
  10016: 'miss required parameter (uid or screen_name), see doc for more info.',
  10017: "parameter (uid)'s value invalid, see doc for more info.",
  10020: 'Request Api not found!',
  10021: 'HTTP METHOD is not suported for this request!',
  10022: 'IP requests out of rate limit!',
  10023: 'User requests out of rate limit!',
  // The wiki's "(%s)" names the API; which form of its name the server puts there is unconfirmed, so: the path.
  10024: 'User requests for (%s) out of rate limit!',
  20003: 'User does not exists!',
  21301: 'auth faild!',
  21319: 'accessor was revoked!',
  21320: 'OAuth2 must use https!',
  21321: 'applications over the unaudited use restrictions!',
  21335: "request uid's value must be the current user!",
} as const;
export type ApiErrorCode = keyof typeof API_ERRORS;

export function jsonResponse(status: number, body: unknown, contentType: string = JSON_TYPE): SimResponse {
  return { status, contentType, body: JSON.stringify(body) };
}

/** `{error, error_code, request, error_uri, error_description}` as seen from /oauth2/access_token. */
export function oauthError(
  status: number,
  error: OAuthErrorName,
  path: string,
  description: string,
  contentType: string = JSON_TYPE,
): SimResponse {
  const body = { error, error_code: OAUTH_ERRORS[error], request: path, error_uri: path, error_description: description };
  return jsonResponse(status, body, contentType);
}

/** `{error, error_code, request}` as seen from /2/... endpoints. */
export function apiError(status: number, code: ApiErrorCode, path: string, contentType: string = JSON_TYPE): SimResponse {
  const error = apiErrorText(code, path);
  // Key order as captured: 21321 as the Error_code page and SDKs quote it (reference §4), the others error first.
  const body = code === 21321 ? { request: path, error_code: code, error } : { error, error_code: code, request: path };
  return jsonResponse(status, body, contentType);
}

export function apiErrorText(code: ApiErrorCode, path: string): string {
  return API_ERRORS[code].replace('%s', path);
}

/** Token problems at the /2/ API use the short API shape but OAuth words, e.g. `expired_token`/21327. */
export function apiTokenError(status: number, error: 'expired_token' | 'invalid_access_token', path: string): SimResponse {
  return jsonResponse(status, { error, error_code: OAUTH_ERRORS[error], request: path });
}
