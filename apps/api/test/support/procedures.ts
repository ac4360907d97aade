/**
 * Every procedure of appRouter, read from the router itself: its dotted path, whether it is a
 * query or a mutation, and the field names of its input (a zod object, optional or not). The
 * HTTP helpers and the fuzzer take their lists from here, so a new procedure is in them at once.
 */
import type { AnyProcedure } from '@trpc/server';
import { z } from 'zod';
import { appRouter } from '../../src/trpc/router.ts';

export interface ProcedureSpec {
  kind: 'query' | 'mutation';
  fields: string[];
}

function fieldsOf(procedure: AnyProcedure): string[] {
  const inputs = (procedure._def as { inputs: unknown[] }).inputs;
  return inputs.flatMap((input) => {
    const schema = input instanceof z.ZodOptional ? input.unwrap() : input;
    return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  });
}

// Typed as the router's nested record; at run time tRPC keeps it flat, by dotted path.
const procedures = appRouter._def.procedures as unknown as Record<string, AnyProcedure>;

export const PROCEDURES: Readonly<Record<string, ProcedureSpec>> = Object.fromEntries(
  Object.entries(procedures).map(([path, procedure]) => {
    const kind = procedure._def.type;
    if (kind !== 'query' && kind !== 'mutation') throw new Error(`${path}: a ${kind}, which these helpers do not call`);
    return [path, { kind, fields: fieldsOf(procedure) }];
  }),
);

/** The dotted paths of the queries (sent as GET). */
export const QUERY_PATHS: ReadonlySet<string> = new Set(Object.keys(PROCEDURES).filter((path) => PROCEDURES[path]!.kind === 'query'));
