/**
 * Runs one API endpoint: counts the request, then either answers normally or plays an injected fault.
 * Endpoints are written as functions returning a SimResponse so that `slow` can compute the real answer
 * (doing the work, e.g. consuming a code) and only delay sending it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { faultResponse, type FaultEndpoint, type FaultRegistry } from './faults.ts';
import { mergedParams, pathOf, tokenFromRequest } from './request-params.ts';
import type { RequestCounters, SimState } from './state.ts';
import type { SimResponse } from './types.ts';

/** Things that must end when the simulator closes: hung sockets, delayed answers, outgoing callbacks. */
export class Lifecycle {
  readonly closing = new AbortController();
  private readonly hungSockets = new Set<Socket>();

  holdOpen(socket: Socket): void {
    this.hungSockets.add(socket);
    socket.once('close', () => this.hungSockets.delete(socket));
  }

  /** Destroys hung sockets so server.close() does not wait for requests that will never be answered. */
  shutdown(): void {
    this.closing.abort();
    for (const socket of this.hungSockets) socket.destroy();
    this.hungSockets.clear();
  }
}

export type EndpointDeps = { state: SimState; faults: FaultRegistry; lifecycle: Lifecycle };

export function sendSimResponse(reply: FastifyReply, response: SimResponse): FastifyReply {
  reply.code(response.status).header('content-type', response.contentType);
  for (const [name, value] of Object.entries(response.headers ?? {})) reply.header(name, value);
  return reply.send(response.body);
}

export type EndpointOptions = {
  counter: keyof RequestCounters;
  faultEndpoint: FaultEndpoint;
  handler: (request: FastifyRequest) => SimResponse;
  /** Work a faulty server would still have done before failing (the token endpoint consumes the code). */
  sideEffectsOnFault?: (request: FastifyRequest) => void;
};

/** The request's parameters, with a header-borne token too, for error descriptions that name what was sent. */
function paramsOf(request: FastifyRequest): Record<string, string | undefined> {
  return { ...mergedParams(request), access_token: tokenFromRequest(request) };
}

export async function runEndpoint(deps: EndpointDeps, options: EndpointOptions, request: FastifyRequest, reply: FastifyReply) {
  deps.state.requests[options.counter]++;
  const fault = deps.faults.take(options.faultEndpoint);
  if (!fault) return sendSimResponse(reply, options.handler(request));
  deps.state.faultsApplied++;

  if (fault.mode === 'slow') {
    const response = options.handler(request);
    try {
      await sleep(fault.delayMs, undefined, { signal: deps.lifecycle.closing.signal });
    } catch {
      // The simulator is closing: its sockets are being destroyed, nothing left to answer.
      reply.hijack();
      return;
    }
    return sendSimResponse(reply, response);
  }

  options.sideEffectsOnFault?.(request);
  if (fault.mode === 'hang' || fault.mode === 'drop') {
    reply.hijack();
    const socket = request.raw.socket;
    if (fault.mode === 'drop') socket.destroy();
    else deps.lifecycle.holdOpen(socket);
    return;
  }

  const response = faultResponse(fault, options.faultEndpoint, pathOf(request), paramsOf(request));
  if (Buffer.isBuffer(response)) {
    return reply.code(200).header('content-type', 'text/plain;charset=UTF-8').send(response);
  }
  return sendSimResponse(reply, response);
}
