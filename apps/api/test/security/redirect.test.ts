/**
 * `redirectTo` (CONTRACT §3: an in-app path) is the one place where the API hands the browser an
 * address to go to. Every off-site form, raw or encoded, is refused at weibo.authorizeUrl over
 * HTTP; whatever is accepted comes back verbatim after the Weibo round trip; and a property test
 * shows that no accepted string, resolved as a browser resolves a link, leaves the app's origin.
 */
import { redirectToSchema } from '@weibo-login/shared';
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.ts';
import { REDIRECT_URI, startSimulator } from '../support/harness.ts';
import { Browser } from '../support/http.ts';
import { OFFSITE_REDIRECTS } from '../support/hostile.ts';
import { type Instance, type SharedDatabase, sharedDatabase, startInstance } from '../support/instances.ts';

const APP = 'https://login.example.com';

describe('redirectTo is an in-app path, whatever the encoding', () => {
  it('the schema refuses every off-site form', () => {
    for (const value of OFFSITE_REDIRECTS) expect(redirectToSchema.safeParse(value).success, JSON.stringify(value)).toBe(false);
  });

  it('no accepted value leaves the origin when a browser resolves it, raw or decoded (property)', () => {
    const pieces = [
      '/',
      '\\',
      '%',
      '%2f',
      '%2F',
      '%5c',
      '%5C',
      '%09',
      '%0a',
      '%0D',
      '%20',
      '%25',
      '%E0',
      '%u002f',
      '.',
      '..',
      ':',
      '@',
      '?',
      '#',
      ' ',
      '\t',
      'evil.example',
      'x',
      'javascript:',
      'https:',
      '\uff0f',
      '\u2215',
    ];
    const candidate = fc.oneof(
      fc.array(fc.constantFrom(...pieces), { maxLength: 8 }).map((parts) => `/${parts.join('')}`),
      fc.array(fc.constantFrom(...pieces), { maxLength: 8 }).map((parts) => parts.join('')),
      fc.string({ unit: 'binary', maxLength: 40 }).map((s) => `/${s}`),
    );
    fc.assert(
      fc.property(candidate, (value) => {
        if (!redirectToSchema.safeParse(value).success) return;
        for (const form of decodings(value)) expect(new URL(form, APP).origin, JSON.stringify([value, form])).toBe(APP);
      }),
      { numRuns: 5000 },
    );
  });
});

/** The value and what lenient decoders (valid %-sequences decoded, the rest kept) make of it, up to three times. */
function decodings(value: string): string[] {
  const forms = [value];
  for (let i = 0; i < 3; i++) {
    const next = forms.at(-1)!.replace(/(%[0-9a-f]{2})+/gi, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
    if (next === forms.at(-1)) break;
    forms.push(next);
  }
  return forms;
}

let sim: WeiboSimulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});

describe.each(DIALECTS)('redirectTo through the API on %s', (dialect) => {
  let db: SharedDatabase;
  let api: Instance;
  beforeAll(async () => {
    db = await sharedDatabase(dialect);
    api = await startInstance(db.config, sim.url);
  });
  afterAll(async () => {
    await api.stop();
    await db.drop();
  });

  it('refuses every off-site form at weibo.authorizeUrl with INVALID_INPUT, and issues no state', async () => {
    for (const redirectTo of OFFSITE_REDIRECTS) {
      const result = await new Browser(api.url).call('weibo.authorizeUrl', { redirectTo });
      expect(result.status, JSON.stringify(redirectTo)).toBe(400);
      expect(result.reason).toBe('INVALID_INPUT');
    }
    // Hand-encoded query strings too, as a link crafted by an attacker would carry them.
    for (const raw of [
      '%7B%22redirectTo%22%3A%22%2F%2Fevil.example%22%7D',
      '{"redirectTo":"\\/\\/evil.example"}',
      '{"redirectTo":"\\u002f\\u002fevil.example"}',
      '{"redirectTo":"/\\u005cevil.example"}',
    ]) {
      const response = await fetch(`${api.url}/trpc/weibo.authorizeUrl?input=${raw.startsWith('%') ? raw : encodeURIComponent(raw)}`);
      expect(response.status, raw).toBe(400);
    }
    const states = await api.deps.db.selectFrom('oauth_states').select('redirect_to').execute();
    expect(states.filter((s) => s.redirect_to !== '/')).toEqual([]);
  });

  it('gives an accepted path back verbatim after the Weibo round trip', async () => {
    for (const redirectTo of ['/settings', '/设置/微博?tab=绑定&x=%2F%2F#frag', '/javascript:alert(1)', '/a\'b"c<d>', '/%E2%80%AE']) {
      const browser = new Browser(api.url);
      const { data } = await browser.call<{ state: string }>('weibo.authorizeUrl', { redirectTo });
      const { uid } = await sim.control.createUser({ screenName: 'redirect' });
      const code = await sim.control.mintCode({ uid, redirectUri: REDIRECT_URI });
      const login = await browser.call<{ redirectTo: string }>('weibo.login', { code, state: data.state });
      expect(login.data.redirectTo).toBe(redirectTo);
      expect(new URL(login.data.redirectTo, APP).origin).toBe(APP);
    }
  });
});
