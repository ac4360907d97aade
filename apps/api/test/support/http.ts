/**
 * Plain HTTP calls to the API as any client would make them (CONTRACT §3: a query is a GET with
 * `?input=`, a mutation a POST with a JSON body), and a browser-like cookie jar.
 */
import { QUERY_PATHS } from './procedures.ts';

export interface CallOptions {
  token?: string;
  cookie?: string;
  headers?: Record<string, string>;
}

export interface CallResult<T = unknown> {
  status: number;
  headers: Headers;
  body: {
    result?: { data: T };
    error?: {
      message: string;
      code: number;
      data: { reason: string; code: string; httpStatus: number; retryAfterSeconds?: number; issues?: unknown[]; stack?: string };
    };
  };
  /** `error.data.reason`, or 'ok' for a result. */
  reason: string;
  data: T;
  ms: number;
}

export async function call<T = unknown>(base: string, path: string, input?: unknown, options: CallOptions = {}): Promise<CallResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  const query = QUERY_PATHS.has(path);
  let url = `${base}/trpc/${path}`;
  const init: RequestInit = { method: query ? 'GET' : 'POST', headers };
  if (query) {
    if (input !== undefined) url += `?input=${encodeURIComponent(JSON.stringify(input))}`;
  } else {
    headers['content-type'] = 'application/json';
    init.body = input === undefined ? '' : JSON.stringify(input);
  }
  const started = performance.now();
  const response = await fetch(url, init);
  const text = await response.text();
  const ms = performance.now() - started;
  let body: CallResult<T>['body'];
  try {
    body = JSON.parse(text) as CallResult<T>['body'];
  } catch {
    throw new Error(`${path}: ${response.status} answered non-JSON: ${text.slice(0, 200)}`);
  }
  const reason = body.error ? body.error.data.reason : 'ok';
  return { status: response.status, headers: response.headers, body, reason, data: body.result?.data as T, ms };
}

/** One browser: keeps the cookies the API sets and sends them back. */
export class Browser {
  private cookies = new Map<string, string>();
  readonly base: string;
  readonly extraHeaders: Record<string, string>;
  constructor(base: string, extraHeaders: Record<string, string> = {}) {
    this.base = base;
    this.extraHeaders = extraHeaders;
  }

  get cookie(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async call<T = unknown>(path: string, input?: unknown, options: CallOptions = {}): Promise<CallResult<T>> {
    const result = await call<T>(this.base, path, input, {
      cookie: this.cookie || undefined,
      ...options,
      headers: { ...this.extraHeaders, ...options.headers },
    });
    for (const line of result.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    return result;
  }
}
