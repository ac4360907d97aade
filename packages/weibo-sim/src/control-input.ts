/** Small validators for the control API's JSON bodies; a bad field throws a 400 with a message saying which. */
import type { RateLimits } from './types.ts';

export class BadInput extends Error {
  readonly statusCode = 400;
}

export type Body = Record<string, unknown>;

export function asBody(value: unknown): Body {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new BadInput('expected a JSON object body');
  return value as Body;
}

export function optString(body: Body, key: string): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadInput(`${key} must be a string`);
  return value;
}

export function reqString(body: Body, key: string): string {
  const value = optString(body, key);
  if (!value) throw new BadInput(`${key} is required`);
  return value;
}

export function optUid(body: Body, key: string): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  // Numbers are accepted for convenience; ids stay strings inside the simulator.
  const str = typeof value === 'number' ? String(value) : value;
  if (typeof str !== 'string' || !/^\d{1,19}$/.test(str)) throw new BadInput(`${key} must be a string of digits`);
  return str;
}

export function optBoolean(body: Body, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new BadInput(`${key} must be a boolean`);
  return value;
}

export function optInteger(body: Body, key: string, min: number, max: number): number | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new BadInput(`${key} must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function optStringArray(body: Body, key: string): string[] | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new BadInput(`${key} must be an array of strings`);
  return value as string[];
}

export function optUidArray(body: Body, key: string): string[] | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  const isUid = (v: unknown) => (typeof v === 'string' && /^\d{1,19}$/.test(v)) || (typeof v === 'number' && Number.isInteger(v));
  if (!Array.isArray(value) || !value.every(isUid)) throw new BadInput(`${key} must be an array of uids`);
  return value.map(String);
}

export function optNullableString(body: Body, key: string): string | null | undefined {
  if (body[key] === null) return null;
  return optString(body, key);
}

export function oneOf<T extends string>(body: Body, key: string, allowed: readonly T[]): T {
  const value = body[key];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new BadInput(`${key} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

const RATE_LIMIT_KEYS = ['perIpPerHour', 'perUserPerHour', 'perUserPerApiPerHour'] as const;

/** `null` removes the app's quotas; an object sets them (absent fields unlimited). */
export function optRateLimits(body: Body, key: string): RateLimits | null | undefined {
  const value = body[key];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'object' || Array.isArray(value)) throw new BadInput(`${key} must be an object or null`);
  const given = value as Body;
  const unknown = Object.keys(given).filter((k) => !(RATE_LIMIT_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new BadInput(`${key} may only have ${RATE_LIMIT_KEYS.join(', ')}`);
  const limits: RateLimits = {};
  for (const name of RATE_LIMIT_KEYS) {
    const limit = optInteger(given, name, 0, 1_000_000_000);
    if (limit !== undefined) limits[name] = limit;
  }
  return limits;
}
