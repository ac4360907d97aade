/** What an attacker can make of a token without our secret: re-signed, re-encoded, edited copies. */
import jwt from 'jsonwebtoken';

export const OTHER_SECRET = 'an-attackers-own-secret-0123456789abcdef';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

export function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
}

/** The same claims signed with another HS256 secret. */
export const resignedWith = (token: string, secret: string, algorithm: jwt.Algorithm = 'HS256', changes: Record<string, unknown> = {}) =>
  jwt.sign({ ...claimsOf(token), ...changes }, secret, { algorithm });

/** `alg: none`, with and without a leftover signature. */
export function unsigned(token: string, changes: Record<string, unknown> = {}): string[] {
  const [, , signature] = token.split('.');
  const body = b64({ ...claimsOf(token), ...changes });
  return ['none', 'None', 'NONE'].flatMap((alg) => [
    `${b64({ alg, typ: 'JWT' })}.${body}.`,
    `${b64({ alg, typ: 'JWT' })}.${body}.${signature}`,
  ]);
}

/** The original header and signature over edited claims. */
export function tampered(token: string, changes: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64({ ...claimsOf(token), ...changes })}.${signature}`;
}

/** One character of the signature changed (the last one is avoided: its low bits may be padding). */
export function flippedSignature(token: string): string {
  const [header, payload, signature] = token.split('.');
  const i = Math.floor(signature!.length / 2);
  const swapped = signature![i] === 'A' ? 'B' : 'A';
  return `${header}.${payload}.${signature!.slice(0, i)}${swapped}${signature!.slice(i + 1)}`;
}

/** One character of a random value changed: a state or cookie that is almost right. */
export function flippedChar(value: string, at = Math.floor(value.length / 2)): string {
  const swapped = value[at] === 'A' ? 'B' : 'A';
  return `${value.slice(0, at)}${swapped}${value.slice(at + 1)}`;
}
