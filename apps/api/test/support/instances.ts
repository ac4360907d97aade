/**
 * Whole API instances in this process, built by the real wiring (app.ts buildApp) and listening
 * on a port: several of them on one database stand for several servers behind a load balancer,
 * and stopping one and building another on the same database is a restart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_APP } from '@weibo-login/weibo-sim';
import pino, { type Logger } from 'pino';
import { type App, buildApp } from '../../src/app.ts';
import { type Config, type DatabaseConfig, loadConfig } from '../../src/config.ts';
import { createTestDatabase, type DialectName } from './databases.ts';
import { REDIRECT_URI, TEST_SECRET } from './harness.ts';

export interface SharedDatabase {
  config: DatabaseConfig;
  drop(): Promise<void>;
}

/** A database several instances can open: a file for SQLite, a fresh schema for MySQL. */
export async function sharedDatabase(dialect: DialectName): Promise<SharedDatabase> {
  if (dialect === 'mysql') return createTestDatabase('mysql');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-shared-'));
  return {
    config: { kind: 'sqlite', file: path.join(dir, 'api.sqlite') },
    drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export interface InstanceOptions {
  /** A TRUST_PROXY value (e.g. '127.0.0.1'), read by loadConfig's own rules; unset: off. */
  trustProxy?: string | false;
  corsOrigins?: string[];
  webDist?: string;
  now?: () => number;
  logger?: Logger;
  jwtSecret?: string;
  weiboTimeoutMs?: number;
}

export type Instance = App & { url: string };

/** The test configuration of CONTRACT §2, with bcrypt at its lowest cost so suites stay quick. */
export function testConfig(database: DatabaseConfig, simUrl: string, options: InstanceOptions = {}): Config {
  const config = loadConfig({
    JWT_SECRET: options.jwtSecret ?? TEST_SECRET,
    WEIBO_CLIENT_ID: DEMO_APP.clientId,
    WEIBO_CLIENT_SECRET: DEMO_APP.clientSecret,
    WEIBO_REDIRECT_URI: REDIRECT_URI,
    WEIBO_AUTHORIZE_URL: `${simUrl}/oauth2/authorize`,
    WEIBO_API_BASE: simUrl,
    WEIBO_TIMEOUT_MS: String(options.weiboTimeoutMs ?? 2000),
    TRUST_PROXY: options.trustProxy || 'off',
    PORT: '0',
  });
  return {
    ...config,
    database,
    bcryptCost: 4,
    corsOrigins: options.corsOrigins ?? [],
    webDist: options.webDist ?? '/nonexistent',
  };
}

export async function startInstance(database: DatabaseConfig, simUrl: string, options: InstanceOptions = {}): Promise<Instance> {
  const app = await buildApp(testConfig(database, simUrl, options), options.logger ?? pino({ level: 'silent' }), options.now ?? Date.now);
  const url = await app.start();
  return Object.assign(app, { url });
}
