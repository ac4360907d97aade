/**
 * Bounded HTTP calls to an OAuth provider over one keep-alive connection pool. Every call ends
 * within the timeout, whatever the far end does (hang, drip, garbage); bodies are read up to a
 * cap; the answer is parsed as JSON whatever its Content-Type says.
 */
import type { Agent, Dispatcher } from 'undici';

type Undici = typeof import('undici');
let undici: Promise<Undici> | undefined;
/** undici is loaded on the first call: the API's other routes never need it, and it is a tenth of
 * the process's start-up. */
const loadUndici = (): Promise<Undici> => (undici ??= import('undici'));

const MAX_BODY_BYTES = 256 * 1024;

export type CallResult =
  { ok: true; status: number; json: unknown } | { ok: false; failure: 'timeout' | 'network' | 'too_large' | 'not_json'; status?: number };

export interface ProviderHttp {
  call(url: string, init: { method: 'GET' | 'POST'; form?: Record<string, string>; headers?: Record<string, string> }): Promise<CallResult>;
  close(): Promise<void>;
}

export function createProviderHttp(timeoutMs: number): ProviderHttp {
  let agent: Agent | undefined;
  let closed = false;
  return {
    async call(url, init) {
      // One deadline for the whole call, however the far end spreads its bytes; cleared at once
      // when the call ends rather than left for the timer (AbortSignal.timeout) to collect.
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), timeoutMs);
      let status: number | undefined;
      try {
        const { Agent } = await loadUndici();
        if (closed) throw new Error('closed');
        agent ??= new Agent({
          keepAliveTimeout: 30_000,
          connections: 128,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          connectTimeout: timeoutMs,
        });
        const response = await agent.request({
          ...splitUrl(url),
          method: init.method,
          signal: deadline.signal,
          headers: init.form ? { ...FORM_HEADERS, ...init.headers } : { ...JSON_HEADERS, ...init.headers },
          body: init.form ? new URLSearchParams(init.form).toString() : undefined,
        });
        status = response.statusCode;
        const text = await readCapped(response.body);
        if (text === null) return { ok: false, failure: 'too_large', status };
        try {
          return { ok: true, status, json: JSON.parse(text) };
        } catch {
          return { ok: false, failure: 'not_json', status };
        }
      } catch {
        return { ok: false, failure: deadline.signal.aborted ? 'timeout' : 'network', ...(status === undefined ? {} : { status }) };
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      closed = true;
      await agent?.close();
    },
  };
}

const ABSOLUTE_URL = /^(https?:\/\/[^/?#]+)([^#]*)/i;

/** Origin and path, as undici's `request(url)` would make them, without a WHATWG URL per call. */
function splitUrl(url: string): { origin: string; path: string } {
  const match = ABSOLUTE_URL.exec(url);
  if (!match) throw new Error('not an absolute http(s) URL');
  const path = match[2]!;
  return { origin: match[1]!, path: path.startsWith('/') ? path : `/${path}` };
}

const JSON_HEADERS = { accept: 'application/json' };
const FORM_HEADERS = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };

/** The body as text, or null once it grows past the cap (the rest is not read). Plain 'data'
 * events: an async iterator would cost a promise per chunk on every call to the provider. */
function readCapped(body: Dispatcher.ResponseData['body']): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      body.destroy();
      resolve(null);
    });
    body.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    body.on('error', reject);
  });
}
