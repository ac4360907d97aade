import { describe, expect, it } from 'vitest';
import { DEMO_APP, DEMO_USERS } from '../src/index.ts';
import { SimState } from '../src/state.ts';

const HOUR = 3600 * 1000;

describe('SimState.sweep (memory stays bounded)', () => {
  it('drops expired codes, revoked tokens and tokens long past expiry, keeps the rest', () => {
    const state = new SimState([DEMO_APP], DEMO_USERS, 60_000, 60);
    const grant = { clientId: DEMO_APP.clientId, redirectUri: DEMO_APP.redirectUris[0]!, uid: '5285840175', scope: null, display: null };
    const [code] = state.mintCodes(grant, 3);
    const live = state.issueToken('5285840175', DEMO_APP.clientId, null);
    const revoked = state.issueToken('5285840175', DEMO_APP.clientId, null);
    revoked.revoked = true;
    const justExpired = state.issueToken('5285840175', DEMO_APP.clientId, null);
    justExpired.expiresAt = Date.now() - 1000;

    state.sweep(Date.now());
    expect(state.codes.size).toBe(3);
    expect([...state.tokens.keys()].sort()).toEqual([live.token, justExpired.token].sort());
    // Recently expired tokens must still say "expired" (21327), not "unknown" (21332).
    expect(state.lookupToken(justExpired.token).kind).toBe('expired');

    state.sweep(Date.now() + 2 * HOUR);
    expect(state.codes.size).toBe(0);
    expect(state.tokens.size).toBe(0);
    expect(state.consumeCode(code!)).toBeUndefined();
  });

  it('does not share state with the arrays it was given', () => {
    const state = new SimState([DEMO_APP], DEMO_USERS, 60_000, 60);
    state.apps.get(DEMO_APP.clientId)!.redirectUris.push('http://changed/');
    state.reset();
    expect(state.apps.get(DEMO_APP.clientId)!.redirectUris).toEqual(DEMO_APP.redirectUris);
    expect(DEMO_APP.redirectUris).not.toContain('http://changed/');
  });
});
