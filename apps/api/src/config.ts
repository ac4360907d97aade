/**
 * The only reader of process.env (ARCHITECTURE §layout). Every variable of CONTRACT §2 is parsed
 * and validated here at start; a bad one stops the process with one line naming it.
 */
import { BlockList, isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { isInAppPath } from '@weibo-login/shared/paths';
import { parseDataKey } from './crypto/token-cipher.ts';
import { z } from 'zod';
import { MAX_API_WORKERS, WEIBO_CALL_BUDGET_PER_MINUTE_DEFAULT } from './limits/bounds.ts';
import { SIMULATOR_MOBILE_AUTHORIZE_PATH, WEIBO_DEFAULT_URLS } from './oauth/weibo.ts';
import { DEFAULT_SITE, type SiteConfig, type WeiboConfig } from './types.ts';

/** Used only outside production; the production start refuses it. */
export const DEV_JWT_SECRET = 'dev-only-secret-change-me-0123456789abcdef';
/** DATA_ENCRYPTION_KEY outside production when unset; the production start refuses it. */
export const DEV_DATA_KEY_HEX = 'de7de7de7de7de7de7de7de7de7de7de7de7de7de7de7de7de7de7de7de7de7d';

/** The simulator's demo app (packages/weibo-sim DEMO_APP): what `pnpm dev` talks to when no Weibo
 * app is configured. A test checks these still match the simulator. */
export const SIMULATOR_DEFAULTS = {
  clientId: '3516473472',
  clientSecret: 'weibo-sim-demo-secret-0123456789abcdef',
  authorizeUrl: 'http://127.0.0.1:4000/oauth2/authorize',
  /** The simulator's phone page (its stand-in for open.weibo.cn). */
  mobileAuthorizeUrl: `http://127.0.0.1:4000${SIMULATOR_MOBILE_AUTHORIZE_PATH}`,
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
  /** (2e) Older secrets that still verify tokens they signed (JWT_PREVIOUS_SECRETS). */
  jwtPreviousSecrets: string[];
  /** (2e) Seals stored Weibo tokens (DATA_ENCRYPTION_KEY); the previous keys still open what they sealed. */
  dataKeys: { current: Buffer; previous: Buffer[] };
  weibo: WeiboConfig & { usingSimulator: boolean };
  bcryptCost: number;
  /** The proxies whose X-Forwarded-For is believed (addresses, CIDRs, proxy-addr's names), as
   * Fastify's `trustProxy` takes them; false: the client address is the TCP peer. */
  trustProxy: false | string[];
  corsOrigins: string[];
  logLevel: (typeof LOG_LEVELS)[number];
  /** Account events older than this many days are deleted. */
  auditRetentionDays: number;
  /** Calls to Weibo per minute from all addresses together. */
  weiboCallBudgetPerMinute: number;
  /** Built web app served from the API's origin when present (`pnpm build` then `pnpm start`). */
  webDist: string;
  /** (2e) The site's name, ICP number, terms and privacy links, and WEIBO_SIGNUP. */
  site: SiteConfig;
  /** (2e) Where Prometheus scrapes `/metrics` (METRICS_HOST, METRICS_PORT); null: no metrics. */
  metrics: { host: string; port: number } | null;
  /** (2e) false: the API does not migrate at start, and refuses to start on an older schema. */
  migrateOnStart: boolean;
  /** (2e) How many processes serve the port (API_WORKERS; `auto`: one per core this process may use). */
  apiWorkers: number;
}

export class ConfigError extends Error {}

const httpUrl = z.url({ protocol: /^https?$/ });
const env = z.object({
  NODE_ENV: z.string().optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().optional(),
  JWT_SECRET: z.string().optional(),
  JWT_PREVIOUS_SECRETS: z.string().optional(),
  DATA_ENCRYPTION_KEY: z.string().optional(),
  DATA_ENCRYPTION_PREVIOUS_KEYS: z.string().optional(),
  WEIBO_CLIENT_ID: z.string().min(1).optional(),
  WEIBO_CLIENT_SECRET: z.string().min(1).optional(),
  WEIBO_REDIRECT_URI: httpUrl.default('http://127.0.0.1:5173/weibo'),
  WEIBO_AUTHORIZE_URL: httpUrl.optional(),
  WEIBO_MOBILE_AUTHORIZE_URL: httpUrl.optional(),
  WEIBO_SIGNUP: z.enum(['open', 'closed'], { error: 'must be open or closed' }).default('open'),
  SITE_NAME: z.string().trim().min(1).max(64).optional(),
  SITE_ICP: z.string().trim().max(64).optional(),
  TERMS_URL: z.string().optional(),
  PRIVACY_URL: z.string().optional(),
  WEIBO_API_BASE: httpUrl.optional(),
  WEIBO_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  BCRYPT_COST: z.coerce.number().int().min(10).max(14).default(10),
  TRUST_PROXY: z.string().optional(),
  CORS_ORIGINS: z.string().optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  AUDIT_RETENTION_DAYS: z.string().optional(),
  WEIBO_CALL_BUDGET_PER_MINUTE: z.string().optional(),
  WEB_DIST: z.string().optional(),
  METRICS_PORT: z.string().optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  MIGRATE_ON_START: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true'),
  API_WORKERS: z.string().optional(),
  INIT_CWD: z.string().optional(),
});

/** Every variable the configuration reads (CONTRACT §2), but INIT_CWD (pnpm's, the folder it ran in). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(env.shape).filter((name) => name !== 'INIT_CWD');

/** The entry points' start (server, `pnpm migrate`): the configuration, or null after one line on
 * stderr saying what is wrong, for the caller to exit with 1. */
export function loadConfigOrComplain(source: Record<string, string | undefined> = process.env): Config | null {
  try {
    return loadConfig(source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`Configuration error: ${error.message}`);
    return null;
  }
}

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
    jwtPreviousSecrets: parsePreviousSecrets(e.JWT_PREVIOUS_SECRETS),
    dataKeys: parseDataKeys(e.DATA_ENCRYPTION_KEY, e.DATA_ENCRYPTION_PREVIOUS_KEYS, production),
    weibo: parseWeibo(e, production),
    bcryptCost: e.BCRYPT_COST,
    trustProxy: parseTrustProxy(e.TRUST_PROXY, production),
    corsOrigins: parseCorsOrigins(e.CORS_ORIGINS),
    logLevel: e.LOG_LEVEL,
    auditRetentionDays: parseInteger('AUDIT_RETENTION_DAYS', e.AUDIT_RETENTION_DAYS, { min: 1, max: 3650, fallback: 180 }),
    weiboCallBudgetPerMinute: parseInteger('WEIBO_CALL_BUDGET_PER_MINUTE', e.WEIBO_CALL_BUDGET_PER_MINUTE, {
      min: 1,
      fallback: WEIBO_CALL_BUDGET_PER_MINUTE_DEFAULT,
    }),
    webDist: path.resolve(cwd, e.WEB_DIST ?? path.join(REPO_ROOT, 'apps/web/dist')),
    site: {
      name: e.SITE_NAME ?? DEFAULT_SITE.name,
      icp: e.SITE_ICP || null,
      termsUrl: parseLink('TERMS_URL', e.TERMS_URL, DEFAULT_SITE.termsUrl),
      privacyUrl: parseLink('PRIVACY_URL', e.PRIVACY_URL, DEFAULT_SITE.privacyUrl),
      weiboSignup: e.WEIBO_SIGNUP,
    },
    metrics: e.METRICS_PORT?.trim()
      ? { host: e.METRICS_HOST, port: parseInteger('METRICS_PORT', e.METRICS_PORT, { min: 0, max: 65535, fallback: 0 }) }
      : null,
    migrateOnStart: e.MIGRATE_ON_START === 'true',
    apiWorkers:
      e.API_WORKERS?.trim().toLowerCase() === 'auto'
        ? availableParallelism()
        : parseInteger('API_WORKERS', e.API_WORKERS, { min: 1, max: MAX_API_WORKERS, fallback: 1 }),
  };
}

/** A link the web app shows: an https: URL, or a path of this site (the built-in pages). */
function parseLink(name: string, value: string | undefined, fallback: string): string {
  const trimmed = value?.trim() ?? '';
  if (!trimmed) return fallback;
  if (isInAppPath(trimmed)) return trimmed;
  try {
    if (['https:', 'http:'].includes(new URL(trimmed).protocol)) return trimmed;
  } catch {
    // refused below
  }
  throw new ConfigError(`${name}: must be an http(s) URL or a path of this site such as /terms`);
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

/** Comma-separated, each at least 32 characters like JWT_SECRET; never printed. */
function parsePreviousSecrets(value: string | undefined): string[] {
  const secrets = (value ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter(Boolean);
  if (secrets.some((secret) => secret.length < 32))
    throw new ConfigError('JWT_PREVIOUS_SECRETS: each secret must be at least 32 characters');
  return secrets;
}

const DATA_KEY_FORM =
  'must be 32 bytes as 64 hex characters or base64 (e.g. node -e "console.log(crypto.randomBytes(32).toString(\'hex\'))")';

function parseDataKeys(value: string | undefined, previous: string | undefined, production: boolean): Config['dataKeys'] {
  let current: Buffer;
  if (!value?.trim()) {
    if (production) throw new ConfigError(`DATA_ENCRYPTION_KEY: required when NODE_ENV=production; ${DATA_KEY_FORM}`);
    current = Buffer.from(DEV_DATA_KEY_HEX, 'hex');
  } else {
    const parsed = parseDataKey(value);
    if (!parsed) throw new ConfigError(`DATA_ENCRYPTION_KEY: ${DATA_KEY_FORM}`);
    if (production && parsed.equals(Buffer.from(DEV_DATA_KEY_HEX, 'hex'))) {
      throw new ConfigError('DATA_ENCRYPTION_KEY: the development default is refused in production');
    }
    current = parsed;
  }
  const older = (previous ?? '')
    .split(',')
    .map((text) => text.trim())
    .filter(Boolean)
    .map((text) => {
      const parsed = parseDataKey(text);
      if (!parsed) throw new ConfigError(`DATA_ENCRYPTION_PREVIOUS_KEYS: each key ${DATA_KEY_FORM}`);
      return parsed;
    });
  return { current, previous: older };
}

function parseWeibo(e: z.infer<typeof env>, production: boolean): Config['weibo'] {
  const usingSimulator = !production && !e.WEIBO_CLIENT_ID;
  if (!usingSimulator && !e.WEIBO_CLIENT_ID) throw new ConfigError('WEIBO_CLIENT_ID: required when NODE_ENV=production');
  if (!usingSimulator && !e.WEIBO_CLIENT_SECRET) throw new ConfigError('WEIBO_CLIENT_SECRET: required with WEIBO_CLIENT_ID');
  if (production) {
    // The demo app's id and secret are public (they are in this repository): a production site
    // using them would be signing people in through an app anyone can impersonate.
    if (e.WEIBO_CLIENT_ID === SIMULATOR_DEFAULTS.clientId) {
      throw new ConfigError("WEIBO_CLIENT_ID: the simulator's demo app is refused in production; give your Weibo app's AppKey");
    }
    if (e.WEIBO_CLIENT_SECRET === SIMULATOR_DEFAULTS.clientSecret) {
      throw new ConfigError("WEIBO_CLIENT_SECRET: the simulator's demo secret is refused in production; give your Weibo app's AppSecret");
    }
    for (const name of ['WEIBO_AUTHORIZE_URL', 'WEIBO_MOBILE_AUTHORIZE_URL', 'WEIBO_API_BASE', 'WEIBO_REDIRECT_URI'] as const)
      requireHttps(name, e[name]);
  }
  const sim = usingSimulator ? SIMULATOR_DEFAULTS : null;
  return {
    clientId: e.WEIBO_CLIENT_ID ?? SIMULATOR_DEFAULTS.clientId,
    clientSecret: e.WEIBO_CLIENT_SECRET ?? SIMULATOR_DEFAULTS.clientSecret,
    redirectUri: e.WEIBO_REDIRECT_URI,
    authorizeUrl: e.WEIBO_AUTHORIZE_URL ?? sim?.authorizeUrl ?? WEIBO_DEFAULT_URLS.authorizeUrl,
    mobileAuthorizeUrl: e.WEIBO_MOBILE_AUTHORIZE_URL ?? sim?.mobileAuthorizeUrl ?? WEIBO_DEFAULT_URLS.mobileAuthorizeUrl,
    apiBase: (e.WEIBO_API_BASE ?? sim?.apiBase ?? WEIBO_DEFAULT_URLS.apiBase).replace(/\/+$/, ''),
    timeoutMs: e.WEIBO_TIMEOUT_MS,
    usingSimulator,
  };
}

/** Hosts on which production may still use http: this machine only (the benchmarks and tests run
 * a production start against a local simulator). WHATWG URL has already normalised the host
 * (lower case, `127.1` → `127.0.0.1`, IPv6 in brackets). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** In production an http: URL would carry the authorization code, the client secret or the
 * access token in clear text across the network. The URL is not printed: it may hold credentials. */
function requireHttps(name: string, value: string | undefined): void {
  if (value === undefined) return;
  const url = new URL(value);
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new ConfigError(`${name}: must be an https: URL in production (http: only on 127.0.0.1, localhost or [::1])`);
  }
}

const TRUST_PROXY_EXAMPLE = "name the proxies' addresses or CIDRs (e.g. 127.0.0.1,10.0.0.0/8)";
/** The names @fastify/proxy-addr expands into ranges (exactly these spellings). */
const PROXY_ADDR_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
/** ::ffff:0:0/96, the IPv4-mapped addresses: proxy-addr matches every IPv4 client against it. */
const IPV4_MAPPED = new BlockList();
IPV4_MAPPED.addSubnet('::ffff:0:0', 96, 'ipv6');

/**
 * TRUST_PROXY decides whose X-Forwarded-For is believed, and so which address every per-address
 * limit counts. Everything accepted here is what @fastify/proxy-addr compiles without throwing
 * (config.test.ts holds the two to each other): an item it refused would otherwise surface only
 * when Fastify is built, as a misleading "database unreachable" line.
 */
function parseTrustProxy(value: string | undefined, production: boolean): Config['trustProxy'] {
  const trimmed = value?.trim() ?? '';
  if (!trimmed || ['off', 'false', '0', 'no'].includes(trimmed.toLowerCase())) return false;
  // A hop count trusts whoever is nearest, with no check of who that is: a client reaching the
  // API directly writes its own X-Forwarded-For and picks its address.
  if (/^\d+$/.test(trimmed)) {
    throw new ConfigError(
      `TRUST_PROXY: a hop count would believe X-Forwarded-For from any client that reaches the API directly; ${TRUST_PROXY_EXAMPLE}`,
    );
  }
  if (trimmed.toLowerCase() === 'true') {
    throw new ConfigError(`TRUST_PROXY: "true" would believe X-Forwarded-For from any client; ${TRUST_PROXY_EXAMPLE}`);
  }
  return trimmed.split(',').map((raw) => {
    const item = raw.trim();
    if (PROXY_ADDR_NAMES.has(item)) return item;
    const slash = item.lastIndexOf('/');
    const address = slash === -1 ? item : item.slice(0, slash);
    const family = isIP(address);
    if (family === 0) throw new ConfigError(`TRUST_PROXY: "${item}" is not an address, a CIDR or loopback/linklocal/uniquelocal`);
    // proxy-addr reads fewer zone ids than node:net does; an address without its zone still
    // matches a peer that has one.
    if (address.includes('%')) throw new ConfigError(`TRUST_PROXY: "${item}": give the address without its zone (%…)`);
    const prefixText = slash === -1 ? null : item.slice(slash + 1);
    const max = family === 4 ? 32 : 128;
    if (prefixText !== null && (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max)) {
      throw new ConfigError(`TRUST_PROXY: "${item}" is not an address, a CIDR or loopback/linklocal/uniquelocal`);
    }
    // A /0 trusts every address. Refused outside production too: proxy-addr refuses a zero prefix,
    // so the start would fail later with a line that does not name TRUST_PROXY.
    if (prefixText !== null && Number(prefixText) === 0)
      throw new ConfigError(`TRUST_PROXY: "${item}" would trust every address; ${TRUST_PROXY_EXAMPLE}`);
    if (production && family === 6 && Number(prefixText) === 96 && IPV4_MAPPED.check(address, 'ipv6')) {
      throw new ConfigError(`TRUST_PROXY: "${item}" would trust every IPv4 address, refused in production; ${TRUST_PROXY_EXAMPLE}`);
    }
    return item;
  });
}

/** A whole number of digits within bounds; unset or empty is the default. */
function parseInteger(name: string, value: string | undefined, bounds: { min: number; max?: number; fallback: number }): number {
  const trimmed = value?.trim() ?? '';
  if (!trimmed) return bounds.fallback;
  const number = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < bounds.min || (bounds.max !== undefined && number > bounds.max)) {
    throw new ConfigError(
      `${name}: must be a whole number ${bounds.max === undefined ? `of at least ${bounds.min}` : `from ${bounds.min} to ${bounds.max}`}`,
    );
  }
  return number;
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
