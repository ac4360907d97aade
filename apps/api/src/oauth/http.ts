/**
 * Bounded HTTP calls to an OAuth provider over one keep-alive connection pool. Every call ends
 * within the timeout, whatever the far end does (hang, drip, garbage); bodies are read up to a
 * cap; the answer is parsed as JSON whatever its Content-Type says.
 */
import { Agent, request } from 'undici';

const MAX_BODY_BYTES = 256 * 1024;

export type CallResult =
  | { ok: true; status: number; json: unknown }
  | { ok: false; failure: 'timeout' | 'network' | 'too_large' | 'not_json'; status?: number };

export interface ProviderHttp {
  call(url: string, init: { method: 'GET' | 'POST'; form?: Record<string, string>; headers?: Record<string, string> }): Promise<CallResult>;
  close(): Promise<void>;
}

export function createProviderHttp(timeoutMs: number): ProviderHttp {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 128, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: timeoutMs });
  return {
    async call(url, init) {
      const signal = AbortSignal.timeout(timeoutMs);
      let status: number | undefined;
      try {
        const response = await request(url, {
          method: init.method,
          dispatcher: agent,
          signal,
          headers: {
            accept: 'application/json',
            ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
            ...init.headers,
          },
          body: init.form ? new URLSearchParams(init.form).toString() : undefined,
        });
        status = response.statusCode;
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of response.body) {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            response.body.destroy();
            return { ok: false, failure: 'too_large', status };
          }
          chunks.push(chunk as Buffer);
        }
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          return { ok: true, status, json: JSON.parse(text) };
        } catch {
          return { ok: false, failure: 'not_json', status };
        }
      } catch {
        return { ok: false, failure: signal.aborted ? 'timeout' : 'network', ...(status === undefined ? {} : { status }) };
      }
    },
    close: () => agent.close(),
  };
}
