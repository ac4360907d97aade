/**
 * tRPC on Fastify without the fetch round trip. tRPC v11's own adapter turns every request into a
 * fetch `Request` (a URL, a Headers and a stream for the body) and every answer into a `Response`
 * that is then read back into a string: a third of a Weibo login's CPU time (docs/benchmarks.md).
 *
 * The calls browsers make here are all of one shape: one procedure (no batch), a query as GET
 * with `?input=` or a mutation as POST with a JSON body. Those are answered directly, with
 * tRPC's own functions for the procedure call, the error shape and the status. Every other
 * request (batches, streams, HEAD, odd content types, unknown paths, a wrong method, bad JSON) is
 * handed to tRPC's `fastifyRequestHandler`, so the answers are tRPC's own. The test
 * trpc-adapter.test.ts sends the same requests to both and compares the answers.
 */
// tRPC's public building blocks; held to tRPC's own handler by the test above.
import { type AnyRouter, getErrorShape, getTRPCErrorFromUnknown, TRPCError, transformTRPCResponse } from '@trpc/server';
import { fastifyRequestHandler } from '@trpc/server/adapters/fastify';
import { getHTTPStatusCode } from '@trpc/server/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface TrpcRouteOptions<TRouter extends AnyRouter, TContext> {
  router: TRouter;
  /** Calls in one batch (tRPC's handler refuses more with a 400). */
  maxBatchSize: number;
  /** Bytes tRPC's handler reads from a body it streams itself. */
  maxBodySize: number;
  createContext(options: { req: FastifyRequest; res: FastifyReply }): TContext | Promise<TContext>;
  onError?(options: { error: ReturnType<typeof getTRPCErrorFromUnknown>; path: string | undefined; req: FastifyRequest }): void;
}

/** A procedure path as tRPC's client writes it: nothing to decode, no batch of paths. */
const PLAIN_PATH = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;
const METHOD_OF_TYPE = { query: 'GET', mutation: 'POST' } as const;
const NO_INPUT = Symbol('no input');

/** Registers the router at `${prefix}/:path` (inside its own plugin scope, as tRPC's plugin does). */
export async function registerTrpc<TRouter extends AnyRouter, TContext>(
  app: FastifyInstance,
  prefix: string,
  options: TrpcRouteOptions<TRouter, TContext>,
): Promise<void> {
  await app.register(
    async (scope) => {
      // As tRPC's plugin, tRPC reads JSON bodies itself, as text (within Fastify's body limit). Unlike
      // it, multipart is not handed over as a raw stream: no procedure takes FormData, and tRPC
      // would read such a body into memory without a limit. Fastify answers it 415.
      scope.removeContentTypeParser(['application/json', 'multipart/form-data']);
      scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
      // tRPC's own handler (batches and the rarer requests) answers with a fetch Response, which
      // Fastify would stream out in chunks. Its JSON answers are small: send them whole, with a
      // content-length, in one write. Streams (jsonl, SSE) stay streams.
      scope.addHook('onSend', (_request, reply, payload, done) => {
        if (!(payload instanceof Response) || !payload.headers.get('content-type')?.startsWith('application/json'))
          return done(null, payload);
        reply.code(payload.status);
        payload.headers.forEach((value, name) => void reply.header(name, value));
        payload.text().then((text) => done(null, text), done);
      });
      scope.all<{ Params: { path: string } }>('/:path', async (req, res) => {
        const path = req.params.path;
        if (await answerPlainCall(req, res, path, options)) return res;
        await fastifyRequestHandler({ ...options, req, res, path } as Parameters<typeof fastifyRequestHandler>[0]);
        return res;
      });
    },
    { prefix },
  );
}

/** Answers a plain call and returns true, or returns false, having touched nothing, for tRPC's handler. */
async function answerPlainCall<TRouter extends AnyRouter, TContext>(
  req: FastifyRequest,
  res: FastifyReply,
  path: string,
  options: TrpcRouteOptions<TRouter, TContext>,
): Promise<boolean> {
  // A raw '#' (never sent by browsers) starts a fragment for tRPC's URL parsing: leave it to tRPC.
  if (
    !PLAIN_PATH.test(path) ||
    req.url.includes('#') ||
    req.headers['trpc-accept'] !== undefined ||
    req.headers.accept?.includes('application/jsonl')
  )
    return false;
  const procedure = options.router._def.procedures[path] as AnyProcedure | undefined;
  const type = procedure?._def.type;
  if (!procedure || (type !== 'query' && type !== 'mutation') || req.method !== METHOD_OF_TYPE[type]) return false;
  const input = rawInputOf(req);
  if (input === NO_INPUT) return false;

  const config = options.router._def._config;
  const deserialized = input === undefined ? undefined : config.transformer.input.deserialize(input);
  let ctx: TContext | undefined;
  let body: Parameters<typeof transformTRPCResponse>[1];
  try {
    ctx = await options.createContext({ req, res });
    // No signal: tRPC's would abort when the client goes away, and no procedure here reads one.
    const data = await procedure({ path, getRawInput: async () => deserialized, ctx, type, signal: undefined, batchIndex: 0 });
    body = { result: { data } };
  } catch (cause) {
    const error = getTRPCErrorFromUnknown(cause);
    options.onError?.({ error, path, req });
    body = { error: getErrorShape({ config, ctx, error, input: deserialized, path, type }) };
  }
  res
    .code(getHTTPStatusCode(body, []))
    .header('vary', 'trpc-accept, accept')
    .header('content-type', 'application/json')
    // With a serializer of its own, Fastify sends the text as it is: it neither adds "; charset=utf-8"
    // to the content type (tRPC's is bare) nor needs a Buffer, which would go out as a second write.
    .serializer(asIs)
    .send(JSON.stringify(transformTRPCResponse(config, body)));
  return true;
}

const asIs = (payload: unknown) => payload as string;

/** What Fastify refuses before tRPC sees the request (a body over the limit, a content type no
 * parser takes, such as multipart), as the tRPC error a client of this API expects. */
const CODE_OF_STATUS: Record<number, TRPCError['code']> = { 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 400: 'BAD_REQUEST' };

/** Answers a request Fastify refused under /trpc in tRPC's error shape; false for other errors. */
export function answerRefusedBody<TRouter extends AnyRouter>(
  router: TRouter,
  req: FastifyRequest,
  res: FastifyReply,
  error: { statusCode?: number; message: string },
): boolean {
  const code = error.statusCode === undefined ? undefined : CODE_OF_STATUS[error.statusCode];
  if (!code) return false;
  const config = router._def._config;
  const path = req.url.slice(req.url.indexOf('/', 1) + 1).split('?')[0]!;
  const shape = getErrorShape({
    config,
    ctx: undefined,
    error: new TRPCError({ code, message: error.message }),
    input: undefined,
    path,
    type: 'unknown',
  });
  res
    .code(error.statusCode!)
    .header('content-type', 'application/json')
    .serializer(asIs)
    // Not to be reused: the rest of the body is still on its way.
    .header('connection', 'close');
  closeLingering(req);
  res.send(JSON.stringify(transformTRPCResponse(config, { error: shape })));
  return true;
}

/** After a refused body's answer, how long and how much of the rest is read (and dropped) before
 * the connection is closed. 256 KiB, not more: each byte read is garbage on the event loop, and
 * with 1 MiB, eight 4 MB uploads arriving together held the victim's sign-ins of
 * reliability/abuse.stress.ts up by ~100 ms (p99 163 ms against 79 quiet; with 256 KiB, 113–120). */
const LINGER_MS = 1000;
const LINGER_BYTES = 256 * 1024;

/**
 * A lingering close, as web servers do it. Node closes a `connection: close` answer's socket as
 * soon as the answer is written; with body bytes still arriving unread, the kernel then resets
 * the connection, which can drop the answer before the client reads it (seen in CI). Reading the
 * body to its end instead costs its size in garbage (+22 MB of resident memory for four 10 MB
 * bodies). So the answer goes, the writing side closes, the rest is read and dropped for at most
 * LINGER_MS or LINGER_BYTES, and then the socket is closed.
 */
function closeLingering(req: FastifyRequest): void {
  const socket = req.raw.socket as import('node:net').Socket & { destroySoon?: () => void };
  const closeAtOnce = socket.destroySoon?.bind(socket);
  socket.destroySoon = () => {
    // The whole body came: nothing unread to reset the connection over.
    if (req.raw.complete && closeAtOnce) return closeAtOnce();
    socket.end();
    let read = 0;
    const close = () => socket.destroy();
    const timer = setTimeout(close, LINGER_MS).unref();
    socket.once('close', () => clearTimeout(timer));
    // Node's parser already reads the body into the request, which drops it: count what comes.
    req.raw.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > LINGER_BYTES) close();
    });
  };
}

type AnyProcedure = ((options: {
  path: string;
  getRawInput: () => Promise<unknown>;
  ctx: unknown;
  type: 'query' | 'mutation';
  signal: AbortSignal | undefined;
  batchIndex: number;
}) => Promise<unknown>) & { _def: { type: 'query' | 'mutation' | 'subscription' } };

/** The call's raw input as tRPC would read it, or NO_INPUT when tRPC's handler should look at it. */
function rawInputOf(req: FastifyRequest): unknown {
  if (req.method === 'GET') {
    if (req.headers['content-type'] !== undefined) return NO_INPUT;
    const query = req.url.indexOf('?');
    if (query === -1) return undefined;
    const params = new URLSearchParams(req.url.slice(query + 1));
    if (params.has('batch')) return NO_INPUT;
    const input = params.get('input');
    return input ? parseJson(input) : undefined;
  }
  if (typeof req.body !== 'string' || !req.headers['content-type']?.toLowerCase().startsWith('application/json')) return NO_INPUT;
  if (req.url.includes('?')) return NO_INPUT;
  return req.body === '' ? undefined : parseJson(req.body);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NO_INPUT;
  }
}
