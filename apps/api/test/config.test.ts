import fs from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, DEV_DATA_KEY_HEX, DEV_JWT_SECRET, loadConfig, SIMULATOR_DEFAULTS } from '../src/config.ts';
import { WEIBO_CALL_BUDGET_PER_MINUTE_DEFAULT } from '../src/limits/bounds.ts';

const strong = 'x'.repeat(40);
const DATA_KEY = 'a1'.repeat(32);
const production = {
  NODE_ENV: 'production',
  JWT_SECRET: strong,
  DATA_ENCRYPTION_KEY: DATA_KEY,
  WEIBO_CLIENT_ID: '123',
  WEIBO_CLIENT_SECRET: 'abc',
};
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
    expect(config.weibo).toMatchObject({
      usingSimulator: true,
      apiBase: 'http://127.0.0.1:4000',
      redirectUri: 'http://127.0.0.1:5173/weibo',
      timeoutMs: 5000,
    });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      bcryptCost: 10,
      trustProxy: false,
      corsOrigins: [],
      logLevel: 'info',
      jwtSecret: DEV_JWT_SECRET,
    });
    expect(config).toMatchObject({ auditRetentionDays: 180, weiboCallBudgetPerMinute: WEIBO_CALL_BUDGET_PER_MINUTE_DEFAULT });
  });

  it('uses the real Weibo in production', () => {
    expect(loadConfig(production).weibo).toMatchObject({
      usingSimulator: false,
      apiBase: 'https://api.weibo.com',
      authorizeUrl: 'https://api.weibo.com/oauth2/authorize',
    });
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
    expect(failure({ NODE_ENV: 'production', JWT_SECRET: strong, DATA_ENCRYPTION_KEY: DATA_KEY })).toMatch(/^WEIBO_CLIENT_ID: required/);
  });

  it('reads JWT_PREVIOUS_SECRETS, each as long as a JWT_SECRET', () => {
    const older = 'o'.repeat(40);
    expect(loadConfig({ JWT_PREVIOUS_SECRETS: ` ${older} , ${'p'.repeat(32)} ` }).jwtPreviousSecrets).toEqual([older, 'p'.repeat(32)]);
    expect(loadConfig({}).jwtPreviousSecrets).toEqual([]);
    expect(failure({ JWT_PREVIOUS_SECRETS: `${older},short` })).toMatch(/^JWT_PREVIOUS_SECRETS: each secret must be at least 32/);
  });

  it('reads DATA_ENCRYPTION_KEY as hex or base64 of 32 bytes, required in production, and its previous keys', () => {
    const key = Buffer.alloc(32, 7);
    expect(loadConfig({ DATA_ENCRYPTION_KEY: key.toString('hex') }).dataKeys.current).toEqual(key);
    expect(loadConfig({ DATA_ENCRYPTION_KEY: key.toString('base64') }).dataKeys.current).toEqual(key);
    expect(loadConfig({ DATA_ENCRYPTION_KEY: key.toString('base64url') }).dataKeys.current).toEqual(key);
    expect(loadConfig({ DATA_ENCRYPTION_PREVIOUS_KEYS: `${'b2'.repeat(32)},${key.toString('base64')}` }).dataKeys.previous).toEqual([
      Buffer.alloc(32, 0xb2),
      key,
    ]);
    expect(failure({ DATA_ENCRYPTION_KEY: 'ab'.repeat(16) })).toMatch(/^DATA_ENCRYPTION_KEY: must be 32 bytes/);
    expect(failure({ DATA_ENCRYPTION_PREVIOUS_KEYS: 'nope' })).toMatch(/^DATA_ENCRYPTION_PREVIOUS_KEYS: /);
    expect(failure({ ...production, DATA_ENCRYPTION_KEY: '' })).toMatch(/^DATA_ENCRYPTION_KEY: required when NODE_ENV=production/);
    expect(failure({ ...production, DATA_ENCRYPTION_KEY: DEV_DATA_KEY_HEX })).toMatch(/^DATA_ENCRYPTION_KEY: the development default/);
    expect(loadConfig({}).dataKeys.current).toEqual(Buffer.from(DEV_DATA_KEY_HEX, 'hex'));
  });

  it('reads the site, WEIBO_SIGNUP and the phone page', () => {
    expect(loadConfig({}).site).toEqual({
      name: 'weibo-login',
      icp: null,
      termsUrl: '/terms',
      privacyUrl: '/privacy',
      weiboSignup: 'open',
    });
    const site = loadConfig({
      SITE_NAME: ' 示例网 ',
      SITE_ICP: '京ICP备1号',
      TERMS_URL: 'https://example.com/t',
      PRIVACY_URL: '/legal/privacy',
      WEIBO_SIGNUP: 'closed',
    }).site;
    expect(site).toEqual({
      name: '示例网',
      icp: '京ICP备1号',
      termsUrl: 'https://example.com/t',
      privacyUrl: '/legal/privacy',
      weiboSignup: 'closed',
    });
    expect(failure({ WEIBO_SIGNUP: 'maybe' })).toMatch(/^WEIBO_SIGNUP: must be open or closed/);
    expect(failure({ TERMS_URL: 'javascript:alert(1)' })).toMatch(/^TERMS_URL: /);
    expect(failure({ PRIVACY_URL: '//evil.example' })).toMatch(/^PRIVACY_URL: /);
    expect(loadConfig(production).weibo.mobileAuthorizeUrl).toBe('https://open.weibo.cn/oauth2/authorize');
    expect(failure({ ...production, WEIBO_MOBILE_AUTHORIZE_URL: 'http://open.weibo.cn/oauth2/authorize' })).toMatch(
      /^WEIBO_MOBILE_AUTHORIZE_URL: must be an https: URL in production/,
    );
  });

  it('reads DATABASE_URL, TRUST_PROXY and CORS_ORIGINS', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:db/app.sqlite', INIT_CWD: '/srv/app' }).database).toEqual({
      kind: 'sqlite',
      file: '/srv/app/db/app.sqlite',
    });
    expect(loadConfig({ DATABASE_URL: 'mysql://u:p@db:3306/app' }).database).toEqual({ kind: 'mysql', url: 'mysql://u:p@db:3306/app' });
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://b.example:8080' }).corsOrigins).toEqual([
      'https://a.example',
      'http://b.example:8080',
    ]);
  });

  const TRUST_PROXY_ITEM = /is not an address, a CIDR or loopback\/linklocal\/uniquelocal$/;

  describe('TRUST_PROXY', () => {
    it('is off for off, false, 0, no and empty', () => {
      for (const value of ['off', 'false', '0', 'no', '', ' OFF ', 'False'])
        expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toBe(false);
    });

    it('refuses a hop count everywhere: it would believe whoever reaches the API directly', () => {
      for (const env of [{}, production]) {
        expect(failure({ ...env, TRUST_PROXY: '1' })).toBe(
          "TRUST_PROXY: a hop count would believe X-Forwarded-For from any client that reaches the API directly; name the proxies' addresses or CIDRs (e.g. 127.0.0.1,10.0.0.0/8)",
        );
        expect(failure({ ...env, TRUST_PROXY: '2' })).toMatch(/^TRUST_PROXY: a hop count /);
      }
    });

    it('refuses true everywhere', () => {
      for (const env of [{}, production]) {
        expect(failure({ ...env, TRUST_PROXY: 'true' })).toMatch(/^TRUST_PROXY: "true" would believe X-Forwarded-For from any client/);
        expect(failure({ ...env, TRUST_PROXY: 'TRUE' })).toMatch(/^TRUST_PROXY: "true"/);
      }
    });

    it('reads a list of addresses, CIDRs and proxy-addr names into a trimmed array', () => {
      expect(loadConfig({ TRUST_PROXY: '127.0.0.1' }).trustProxy).toEqual(['127.0.0.1']);
      expect(loadConfig({ TRUST_PROXY: ' 10.0.0.0/8 , ::1, fd00::/8,loopback,linklocal,uniquelocal ' }).trustProxy).toEqual([
        '10.0.0.0/8',
        '::1',
        'fd00::/8',
        'loopback',
        'linklocal',
        'uniquelocal',
      ]);
      expect(loadConfig({ ...production, TRUST_PROXY: '172.16.0.0/12,2001:db8::/32' }).trustProxy).toEqual([
        '172.16.0.0/12',
        '2001:db8::/32',
      ]);
    });

    it('names an item that is not an address, a CIDR or a proxy-addr name', () => {
      for (const item of [
        'proxy.internal',
        '10.0.0.300',
        '10.0.0.0/33',
        '::1/129',
        '10.0.0.0/',
        '10.0.0.0/8/8',
        '10.0.0.0/255.0.0.0',
        '010.0.0.1',
        'Loopback',
        '*',
      ]) {
        expect(failure({ TRUST_PROXY: `127.0.0.1,${item}` })).toBe(
          `TRUST_PROXY: "${item}" is not an address, a CIDR or loopback/linklocal/uniquelocal`,
        );
      }
      expect(failure({ TRUST_PROXY: '127.0.0.1,,10.0.0.1' })).toMatch(TRUST_PROXY_ITEM);
      expect(failure({ TRUST_PROXY: 'fe80::1%eth0' })).toMatch(/^TRUST_PROXY: "fe80::1%eth0": give the address without its zone/);
    });

    it('refuses a /0 everywhere: it trusts every address, and Fastify would refuse it only later', () => {
      for (const env of [{}, production]) {
        for (const item of ['0.0.0.0/0', '::/0', '10.0.0.0/0']) {
          expect(failure({ ...env, TRUST_PROXY: `127.0.0.1,${item}` })).toBe(
            `TRUST_PROXY: "${item}" would trust every address; name the proxies' addresses or CIDRs (e.g. 127.0.0.1,10.0.0.0/8)`,
          );
        }
      }
      expect(() => Fastify({ trustProxy: ['0.0.0.0/0'] })).toThrow(/invalid range/);
    });

    it('refuses the IPv4-mapped /96 (every IPv4 client) in production, and allows it outside', () => {
      expect(failure({ ...production, TRUST_PROXY: '::ffff:0:0/96' })).toMatch(
        /^TRUST_PROXY: "::ffff:0:0\/96" would trust every IPv4 address, refused in production/,
      );
      expect(failure({ ...production, TRUST_PROXY: '::ffff:0.0.0.0/96' })).toMatch(/^TRUST_PROXY: .* every IPv4 address/);
      expect(loadConfig({ TRUST_PROXY: '::ffff:0:0/96' }).trustProxy).toEqual(['::ffff:0:0/96']);
      expect(loadConfig({ ...production, TRUST_PROXY: '::ffff:10.0.0.0/104' }).trustProxy).toEqual(['::ffff:10.0.0.0/104']);
    });

    it('gives Fastify only lists it takes (an item it refused would stop the start as a database error)', () => {
      const accepted = [
        '127.0.0.1',
        '10.0.0.1/8',
        '10.0.0.0/08',
        '192.168.0.0/16',
        '::1',
        '::1/128',
        '1::',
        '0:0:0:0:0:0:0:1',
        '::ffff:127.0.0.1',
        '::ffff:0:0/96',
        'fe80::/10',
        'loopback',
        'linklocal',
        'uniquelocal',
      ];
      for (const item of accepted) {
        const trustProxy = loadConfig({ TRUST_PROXY: item }).trustProxy;
        expect(trustProxy, item).toEqual([item]);
        expect(() => Fastify({ trustProxy: trustProxy as string[] }), item).not.toThrow();
      }
    });
  });

  describe('production refusals (2e)', () => {
    it("refuses the simulator's demo app id or secret, without printing the secret", () => {
      expect(failure({ ...production, WEIBO_CLIENT_ID: SIMULATOR_DEFAULTS.clientId })).toBe(
        "WEIBO_CLIENT_ID: the simulator's demo app is refused in production; give your Weibo app's AppKey",
      );
      const secret = failure({ ...production, WEIBO_CLIENT_SECRET: SIMULATOR_DEFAULTS.clientSecret });
      expect(secret).toMatch(/^WEIBO_CLIENT_SECRET: the simulator's demo secret is refused in production/);
      expect(secret).not.toContain(SIMULATOR_DEFAULTS.clientSecret);
      // Outside production the demo app is what `pnpm dev` uses.
      expect(
        loadConfig({ WEIBO_CLIENT_ID: SIMULATOR_DEFAULTS.clientId, WEIBO_CLIENT_SECRET: SIMULATOR_DEFAULTS.clientSecret }).weibo.clientId,
      ).toBe(SIMULATOR_DEFAULTS.clientId);
    });

    it('refuses an http: Weibo URL or redirect URI unless it is on this machine', () => {
      for (const name of ['WEIBO_AUTHORIZE_URL', 'WEIBO_API_BASE', 'WEIBO_REDIRECT_URI']) {
        for (const url of [
          'http://api.weibo.com/x',
          'http://10.0.0.5:4000',
          'http://127.0.0.2:4000',
          'http://localhost.example.com/weibo',
        ]) {
          const message = failure({ ...production, [name]: url });
          expect(message).toBe(`${name}: must be an https: URL in production (http: only on 127.0.0.1, localhost or [::1])`);
        }
        for (const url of [
          'http://127.0.0.1:4000/weibo',
          'http://localhost:4000',
          'http://LOCALHOST:4000',
          'http://[::1]:4000',
          'https://login.example.com/weibo',
        ]) {
          expect(failure({ ...production, [name]: url }), `${name}=${url}`).toBe('accepted');
        }
        // Outside production, any http: URL is the developer's business.
        expect(failure({ [name]: 'http://10.0.0.5:4000/weibo' })).toBe('accepted');
      }
    });
  });

  describe('AUDIT_RETENTION_DAYS and WEIBO_CALL_BUDGET_PER_MINUTE (2e)', () => {
    it('read whole numbers within their bounds', () => {
      expect(loadConfig({ AUDIT_RETENTION_DAYS: '30', WEIBO_CALL_BUDGET_PER_MINUTE: '2400' })).toMatchObject({
        auditRetentionDays: 30,
        weiboCallBudgetPerMinute: 2400,
      });
      expect(loadConfig({ AUDIT_RETENTION_DAYS: '1' }).auditRetentionDays).toBe(1);
      expect(loadConfig({ AUDIT_RETENTION_DAYS: '3650' }).auditRetentionDays).toBe(3650);
      expect(loadConfig({ WEIBO_CALL_BUDGET_PER_MINUTE: '1' }).weiboCallBudgetPerMinute).toBe(1);
      expect(loadConfig({ AUDIT_RETENTION_DAYS: '', WEIBO_CALL_BUDGET_PER_MINUTE: '' })).toMatchObject({
        auditRetentionDays: 180,
        weiboCallBudgetPerMinute: WEIBO_CALL_BUDGET_PER_MINUTE_DEFAULT,
      });
    });

    it('refuse anything else with one line naming them', () => {
      for (const value of ['0', '3651', '-1', '1.5', '1e2', 'forever', '0x10']) {
        expect(failure({ AUDIT_RETENTION_DAYS: value }), value).toBe('AUDIT_RETENTION_DAYS: must be a whole number from 1 to 3650');
      }
      for (const value of ['0', '-5', '2.5', 'lots', '99999999999999999999']) {
        expect(failure({ WEIBO_CALL_BUDGET_PER_MINUTE: value }), value).toBe(
          'WEIBO_CALL_BUDGET_PER_MINUTE: must be a whole number of at least 1',
        );
      }
    });
  });
});

describe('the configuration through turbo', () => {
  // turbo hands a task only the variables turbo.json lets through: one left out is silently
  // dropped from `SITE_NAME=… pnpm dev` (as METRICS_PORT, API_WORKERS and six more once were).
  it('lets every variable the API reads through to `pnpm dev` and `pnpm test`', () => {
    const turbo = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../turbo.json'), 'utf8')) as {
      globalPassThroughEnv: string[];
    };
    const passes = (name: string) =>
      turbo.globalPassThroughEnv.some((pattern) => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern));
    expect(CONFIG_VARIABLES.length).toBeGreaterThan(30);
    expect(CONFIG_VARIABLES.filter((name) => !passes(name))).toEqual([]);
  });
});
