/**
 * The only reader of process.env (ARCHITECTURE §layout). Every variable of CONTRACT §2 is parsed
 * and validated here at start; a bad one stops the process with one line naming it.
 */
import path from 'node:path';
import { z } from 'zod';
import type { WeiboConfig } from './oauth/weibo.ts';

/** Used only outside production; the production start refuses it. */
export const DEV_JWT_SECRET = 'dev-only-secret-change-me-0123456789abcdef';

/** The simulator's demo app (packages/weibo-sim DEMO_APP): what `pnpm dev` talks to when no Weibo
 * app is configured. A test checks these still match the simulator. */
export const SIMULATOR_DEFAULTS = {
  clientId: '3516473472',
  clientSecret: 'weibo-sim-demo-secret-0123456789abcdef',
  authorizeUrl: 'http://127.0.0.1:4000/oauth2/authorize',
  apiBase: 'http://127.0.0.1:4000',
} as const;

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type DatabaseConfig = { kind: 'sqlite'; file: string } | { kind: 'mysql'; url: string };

export interface Config {
  production: boolean;
  host: string;
  port: number;
  database: DatabaseConfig;
  jwtSecret: string;
  weibo: WeiboConfig & { usingSimulator: boolean };
  bcryptCost: number;
  trustProxy: boolean | number | string;
  corsOrigins: string[];
  logLevel: (typeof LOG_LEVELS)[number];
  /** Built web app served from the API's origin when present (`pnpm build` then `pnpm start`). */
  webDist: string;
}

export class ConfigError extends Error {}

const httpUrl = z.url({ protocol: /^https?$/ });
const env = z.object({
  NODE_ENV: z.string().optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().optional(),
  JWT_SECRET: z.string().optional(),
  WEIBO_CLIENT_ID: z.string().min(1).optional(),
  WEIBO_CLIENT_SECRET: z.string().min(1).optional(),
  WEIBO_REDIRECT_URI: httpUrl.default('http://127.0.0.1:5173/weibo'),
  WEIBO_AUTHORIZE_URL: httpUrl.optional(),
  WEIBO_API_BASE: httpUrl.optional(),
  WEIBO_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  BCRYPT_COST: z.coerce.number().int().min(10).max(14).default(10),
  TRUST_PROXY: z.string().optional(),
  CORS_ORIGINS: z.string().optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  WEB_DIST: z.string().optional(),
  INIT_CWD: z.string().optional(),
});

export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const parsed = env.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  // Relative paths are taken from where the user ran pnpm, not from the package folder pnpm enters.
  const cwd = e.INIT_CWD ?? process.cwd();
  return {
    production,
    host: e.HOST,
    port: e.PORT,
    database: parseDatabaseUrl(e.DATABASE_URL, cwd),
    jwtSecret: parseJwtSecret(e.JWT_SECRET, production),
    weibo: parseWeibo(e, production),
    bcryptCost: e.BCRYPT_COST,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    corsOrigins: parseCorsOrigins(e.CORS_ORIGINS),
    logLevel: e.LOG_LEVEL,
    webDist: path.resolve(cwd, e.WEB_DIST ?? path.join(REPO_ROOT, 'apps/web/dist')),
  };
}

function parseDatabaseUrl(value: string | undefined, cwd: string): DatabaseConfig {
  if (!value) return { kind: 'sqlite', file: path.join(REPO_ROOT, '.data/dev.sqlite') };
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) throw new ConfigError('DATABASE_URL: sqlite: needs a file path, e.g. sqlite:.data/app.sqlite');
    return { kind: 'sqlite', file: file === ':memory:' ? file : path.resolve(cwd, file) };
  }
  if (value.startsWith('mysql://')) {
    try {
      const url = new URL(value);
      if (!url.pathname.slice(1)) throw new Error('no database');
    } catch {
      throw new ConfigError('DATABASE_URL: expected mysql://user:pass@host:port/database');
    }
    return { kind: 'mysql', url: value };
  }
  throw new ConfigError('DATABASE_URL: must start with mysql:// or sqlite:');
}

function parseJwtSecret(value: string | undefined, production: boolean): string {
  if (value === undefined || value === '') {
    if (production) throw new ConfigError('JWT_SECRET: required when NODE_ENV=production (at least 32 characters)');
    return DEV_JWT_SECRET;
  }
  if (value.length < 32) throw new ConfigError('JWT_SECRET: must be at least 32 characters');
  if (production && value === DEV_JWT_SECRET) throw new ConfigError('JWT_SECRET: the development default is refused in production');
  return value;
}

function parseWeibo(e: z.infer<typeof env>, production: boolean): Config['weibo'] {
  const usingSimulator = !production && !e.WEIBO_CLIENT_ID;
  if (!usingSimulator && !e.WEIBO_CLIENT_ID) throw new ConfigError('WEIBO_CLIENT_ID: required when NODE_ENV=production');
  if (!usingSimulator && !e.WEIBO_CLIENT_SECRET) throw new ConfigError('WEIBO_CLIENT_SECRET: required with WEIBO_CLIENT_ID');
  const sim = usingSimulator ? SIMULATOR_DEFAULTS : null;
  return {
    clientId: e.WEIBO_CLIENT_ID ?? SIMULATOR_DEFAULTS.clientId,
    clientSecret: e.WEIBO_CLIENT_SECRET ?? SIMULATOR_DEFAULTS.clientSecret,
    redirectUri: e.WEIBO_REDIRECT_URI,
    authorizeUrl: e.WEIBO_AUTHORIZE_URL ?? sim?.authorizeUrl ?? 'https://api.weibo.com/oauth2/authorize',
    apiBase: (e.WEIBO_API_BASE ?? sim?.apiBase ?? 'https://api.weibo.com').replace(/\/+$/, ''),
    timeoutMs: e.WEIBO_TIMEOUT_MS,
    usingSimulator,
  };
}

function parseTrustProxy(value: string | undefined): Config['trustProxy'] {
  if (!value || ['off', 'false', '0', 'no'].includes(value.toLowerCase())) return false;
  if (/^\d+$/.test(value)) return Number(value);
  if (value.toLowerCase() === 'true') {
    throw new ConfigError('TRUST_PROXY: give a hop count or the proxies\' addresses, not "true" (that would believe any client)');
  }
  return value;
}

function parseCorsOrigins(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(',').map((origin) => {
    const trimmed = origin.trim();
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      throw new ConfigError(`CORS_ORIGINS: "${trimmed}" is not an origin like https://app.example.com`);
    }
    if (url.origin !== trimmed.replace(/\/$/, '')) throw new ConfigError(`CORS_ORIGINS: "${trimmed}" must be an origin, without a path`);
    return url.origin;
  });
}
