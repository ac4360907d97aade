/**
 * Fault injection: the failures a real api.weibo.com (or the network in front of it) produces, on demand,
 * so clients can be tested against 5xx pages, hangs, junk bodies, type drift and any of Weibo's error codes.
 */
import { randomBytes } from 'node:crypto';
import { errorFaultResponse, type WeiboErrorCode } from './error-fault.ts';
import { JSON_TYPE, TOKEN_TYPE, apiError } from './weibo-errors.ts';
import type { SimResponse } from './types.ts';

export const FAULT_ENDPOINTS = ['access_token', 'users_show', 'get_token_info', 'revokeoauth2', 'get_uid'] as const;
export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];
/**
 * The modes in which Weibo (or the network) fails without a Weibo error code: to a client, all mean "unavailable",
 * and clients' tests loop over them. The `error` mode, which answers a chosen error code, is kept apart.
 */
export const FAULT_MODES = ['500', '502', 'hang', 'slow', 'garbage', 'html', 'empty', 'wrong_types', 'drop'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];
export const ERROR_FAULT_MODE = 'error';
export type { WeiboErrorCode };

/** `error` answers `errorCode` (see error-fault.ts); `slow` waits `delayMs`; `times` limits it to the next N requests. */
export type FaultSpec =
  | { endpoint: FaultEndpoint | '*'; mode: FaultMode; delayMs?: number; times?: number }
  | { endpoint: FaultEndpoint | '*'; mode: typeof ERROR_FAULT_MODE; errorCode: WeiboErrorCode; times?: number };
export type Fault = {
  id: string;
  endpoint: FaultEndpoint | '*';
  mode: FaultMode | typeof ERROR_FAULT_MODE;
  delayMs: number;
  /** The code an `error` fault answers, null for the other modes. */
  errorCode: WeiboErrorCode | null;
  remaining: number;
};

/** `slow` without delayMs waits this long: longer than most clients' timeouts. */
const DEFAULT_SLOW_MS = 10_000;

export class FaultRegistry {
  private faults: Fault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): Fault {
    const fault: Fault = {
      id: `fault-${this.nextId++}`,
      endpoint: spec.endpoint,
      mode: spec.mode,
      delayMs: (spec.mode === 'error' ? undefined : spec.delayMs) ?? DEFAULT_SLOW_MS,
      errorCode: spec.mode === 'error' ? spec.errorCode : null,
      // No `times` means "until cleared".
      remaining: spec.times ?? Number.POSITIVE_INFINITY,
    };
    this.faults.push(fault);
    return fault;
  }

  /** The oldest active fault for this endpoint, counting one use of it. */
  take(endpoint: FaultEndpoint): Fault | undefined {
    const index = this.faults.findIndex((f) => f.endpoint === endpoint || f.endpoint === '*');
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    fault.remaining--;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  /** For JSON: Infinity is not representable, so "until cleared" is shown as remaining: null. */
  list(): Array<Omit<Fault, 'remaining'> & { remaining: number | null }> {
    return this.faults.map((f) => ({ ...f, remaining: Number.isFinite(f.remaining) ? f.remaining : null }));
  }
}

/** The endpoint's normal Content-Type, so `500`/`empty` faults look like they came from that endpoint. */
export function contentTypeOf(endpoint: FaultEndpoint): string {
  return endpoint === 'access_token' ? TOKEN_TYPE : JSON_TYPE;
}

const NGINX_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
  '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/** What a client gets when Weibo's edge serves its visitor/login wall instead of JSON. */
const WEIBO_HTML =
  '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sina Visitor System</title></head>' +
  '<body><div class="container"><h1>新浪通行证</h1><p>系统繁忙，请稍后再试。</p>' +
  '<a href="https://weibo.com/">返回首页</a></div></body></html>';

/** Bytes that can never parse as JSON (0xFE is not valid UTF-8, and no JSON starts with it). */
function garbageBytes(): Buffer {
  return Buffer.concat([Buffer.from([0xfe, 0x00, 0x7b]), randomBytes(61)]);
}

/** Right keys, wrong JSON types: catches clients that trust shapes without validating. */
function wrongTypesBody(endpoint: FaultEndpoint): unknown {
  switch (endpoint) {
    case 'access_token':
      return { access_token: 2.00123456789, remind_in: 86400, expires_in: 'forever', uid: 5285840175, isRealName: true };
    case 'users_show':
      return {
        id: '5285840175',
        idstr: 5285840175,
        screen_name: { text: '林小暖' },
        name: ['林小暖'],
        profile_image_url: 42,
        avatar_large: false,
        avatar_hd: { url: 'x' },
        gender: 1,
        followers_count: 'many',
      };
    case 'get_token_info':
      return { uid: { id: 5285840175 }, appkey: [3516473472], scope: 7, create_at: 'yesterday', expire_in: 'soon' };
    case 'get_uid':
      return { uid: true };
    case 'revokeoauth2':
      return { result: 1 };
  }
}

/**
 * The canned answer for every mode that answers at all (`hang`, `drop` and `slow` are handled by the runner).
 * `params` are the request's, for the error descriptions that name the code or token sent.
 */
export function faultResponse(
  fault: Pick<Fault, 'mode' | 'errorCode'>,
  endpoint: FaultEndpoint,
  path: string,
  params: Record<string, string | undefined>,
): SimResponse | Buffer {
  const contentType = contentTypeOf(endpoint);
  switch (fault.mode) {
    case 'error':
      return errorFaultResponse(fault.errorCode ?? 10001, endpoint, path, contentType, params);
    case '500':
      return apiError(500, 10001, path, contentType);
    case '502':
      return { status: 502, contentType: 'text/html', body: NGINX_502, headers: { server: 'nginx' } };
    case 'html':
      return { status: 200, contentType: 'text/html;charset=UTF-8', body: WEIBO_HTML };
    case 'empty':
      return { status: 200, contentType, body: '' };
    case 'wrong_types':
      return { status: 200, contentType, body: JSON.stringify(wrongTypesBody(endpoint)) };
    default:
      return garbageBytes();
  }
}
