import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_JWT_SECRET, loadConfig } from '../src/config.ts';

const strong = 'x'.repeat(40);
const production = { NODE_ENV: 'production', JWT_SECRET: strong, WEIBO_CLIENT_ID: '123', WEIBO_CLIENT_SECRET: 'abc' };
const failure = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return 'accepted';
};

describe('configuration', () => {
  it('runs with no configuration in development: SQLite in .data and the simulator', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ kind: 'sqlite', file: path.resolve(import.meta.dirname, '../../../.data/dev.sqlite') });
    expect(config.weibo).toMatchObject({ usingSimulator: true, apiBase: 'http://127.0.0.1:4000', redirectUri: 'http://127.0.0.1:5173/weibo', timeoutMs: 5000 });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 3000, bcryptCost: 10, trustProxy: false, corsOrigins: [], logLevel: 'info', jwtSecret: DEV_JWT_SECRET });
  });

  it('uses the real Weibo in production', () => {
    expect(loadConfig(production).weibo).toMatchObject({ usingSimulator: false, apiBase: 'https://api.weibo.com', authorizeUrl: 'https://api.weibo.com/oauth2/authorize' });
  });

  it('refuses a missing, short or default JWT secret in production', () => {
    expect(failure({ ...production, JWT_SECRET: '' })).toMatch(/^JWT_SECRET: required/);
    expect(failure({ ...production, JWT_SECRET: 'short' })).toMatch(/^JWT_SECRET: must be at least 32/);
    expect(failure({ ...production, JWT_SECRET: DEV_JWT_SECRET })).toMatch(/^JWT_SECRET: the development default/);
    expect(failure({ JWT_SECRET: 'short' })).toMatch(/^JWT_SECRET/);
  });

  it('names the variable and the problem in one line', () => {
    expect(failure({ PORT: 'eighty' })).toMatch(/^PORT: /);
    expect(failure({ DATABASE_URL: 'postgres://x' })).toBe('DATABASE_URL: must start with mysql:// or sqlite:');
    expect(failure({ DATABASE_URL: 'mysql://root@localhost' })).toMatch(/^DATABASE_URL: expected mysql:/);
    expect(failure({ BCRYPT_COST: '9' })).toMatch(/^BCRYPT_COST: /);
    expect(failure({ WEIBO_TIMEOUT_MS: 'soon' })).toMatch(/^WEIBO_TIMEOUT_MS: /);
    expect(failure({ WEIBO_REDIRECT_URI: 'javascript:alert(1)' })).toMatch(/^WEIBO_REDIRECT_URI: /);
    expect(failure({ LOG_LEVEL: 'loud' })).toMatch(/^LOG_LEVEL: /);
    expect(failure({ CORS_ORIGINS: 'https://a.example/path' })).toMatch(/^CORS_ORIGINS: /);
    expect(failure({ TRUST_PROXY: 'true' })).toMatch(/^TRUST_PROXY: /);
    expect(failure({ NODE_ENV: 'production', JWT_SECRET: strong })).toMatch(/^WEIBO_CLIENT_ID: required/);
  });

  it('reads DATABASE_URL, TRUST_PROXY and CORS_ORIGINS', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:db/app.sqlite', INIT_CWD: '/srv/app' }).database).toEqual({ kind: 'sqlite', file: '/srv/app/db/app.sqlite' });
    expect(loadConfig({ DATABASE_URL: 'mysql://u:p@db:3306/app' }).database).toEqual({ kind: 'mysql', url: 'mysql://u:p@db:3306/app' });
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).trustProxy).toBe('10.0.0.0/8,127.0.0.1');
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://b.example:8080' }).corsOrigins).toEqual(['https://a.example', 'http://b.example:8080']);
  });
});
