import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { pkcePair, readCallback } from '../../src/cli/login/browser-login.ts';
import { afterPollError, deviceInstructions } from '../../src/cli/login/device-login.ts';
import { execCredential, interactiveOf } from '../../src/cli/login/exec-credential.ts';
import { checkIssuer, defaultCacheDir, parseLoginArgs } from '../../src/cli/login/options.ts';
import { cachedFrom, cacheFile, FRESH_FOR_MS, freshToken } from '../../src/cli/login/token-cache.ts';

/** The decisions of `latchkey login`, `token` and `kubectl-credential` (issue 13), without a server. */

const TARGET = {
  issuer: 'https://auth.example.com',
  clientId: 'ops-cli.platform',
  cacheDir: '/home/me/.cache/latchkey',
};
const NOW = 1_800_000_000_000;

async function idToken(expSeconds: number): Promise<string> {
  return new SignJWT({ sub: 'usr_1' })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(expSeconds)
    .sign(new Uint8Array(32));
}

describe('afterPollError (RFC 8628 §3.5)', () => {
  it.each([
    ['authorization_pending', 5, { wait: 5 }],
    ['slow_down', 5, { wait: 10 }],
    ['slow_down', 10, { wait: 15 }],
    ['access_denied', 5, { stop: 'the sign-in was denied in the browser' }],
    ['expired_token', 5, { stop: 'the code expired before it was confirmed: run latchkey login again' }],
    ['invalid_grant', 5, { stop: 'the sign-in failed: invalid_grant' }],
  ])('%s at %s s: %j', (error, interval, next) => {
    expect(afterPollError(error, interval)).toEqual(next);
  });

  it('tells the person where to go and which code to compare', () => {
    const text = deviceInstructions({
      device_code: 'd',
      user_code: 'BCDF-GHJK',
      verification_uri: 'https://auth.example.com/device',
      verification_uri_complete: 'https://auth.example.com/device?user_code=BCDF-GHJK',
      expires_in: 600,
    });
    expect(text).toContain('open https://auth.example.com/device?user_code=BCDF-GHJK');
    expect(text).toContain('shows the code BCDF-GHJK.');
    expect(text).toContain('expires in 10 minutes');
  });
});

describe('readCallback (RFC 6749 §4.1.2, RFC 9207)', () => {
  const expected = { state: 's1', issuer: TARGET.issuer };
  it.each([
    [`?code=c1&state=s1&iss=${TARGET.issuer}`, { code: 'c1' }],
    [
      `?code=c1&state=s2&iss=${TARGET.issuer}`,
      { error: 'the answer belongs to another sign-in (state)', foreign: true },
    ],
    ['?code=c1&state=s1&iss=https://evil.example', { error: 'the answer comes from another issuer (iss)' }],
    ['?code=c1&state=s1', { error: 'the answer comes from another issuer (iss)' }],
    [
      `?error=access_denied&error_description=no&state=s1&iss=${TARGET.issuer}`,
      { error: 'access_denied: no' },
    ],
    [`?state=s1&iss=${TARGET.issuer}`, { error: 'the answer has no code' }],
  ])('%s', (query, callback) => {
    expect(readCallback(new URL(`http://127.0.0.1:1/callback${query}`), expected)).toEqual(callback);
  });

  it('makes a 43-character verifier and its S256 challenge', () => {
    const { verifier, challenge } = pkcePair();
    expect(verifier).toMatch(/^[\w-]{43}$/);
    expect(challenge).toMatch(/^[\w-]{43}$/);
    expect(challenge).not.toBe(verifier);
  });
});

describe('options', () => {
  it.each([
    ['https://auth.example.com', true],
    ['http://127.0.0.1:8080', true],
    ['http://[::1]:8080', true],
    ['http://localhost:8080', true],
    ['http://auth.example.com', false],
    ['ftp://auth.example.com', false],
    ['auth.example.com', false],
  ])('%s is an issuer to sign in at: %s', (issuer, ok) => {
    if (ok) expect(checkIssuer(issuer)).toBe(issuer);
    else expect(() => checkIssuer(issuer)).toThrow(/--issuer/);
  });

  it.each([
    [{ XDG_CACHE_HOME: '/var/cache/me' }, '/var/cache/me/latchkey'],
    [{ XDG_CACHE_HOME: 'relative' }, '/home/me/.cache/latchkey'],
    [{}, '/home/me/.cache/latchkey'],
  ])('keeps tokens under %j at %s', (env, folder) => {
    expect(defaultCacheDir(env, '/home/me')).toBe(folder);
  });

  it('needs the issuer and the client id, and a known flow', () => {
    expect(() => parseLoginArgs(['--client-id', 'x'], '/c')).toThrow(/--issuer: is required/);
    expect(() => parseLoginArgs(['--issuer', TARGET.issuer], '/c')).toThrow(/--client-id: is required/);
    expect(() =>
      parseLoginArgs(['--issuer', TARGET.issuer, '--client-id', 'x', '--flow', 'qr'], '/c'),
    ).toThrow(/--flow: must be device or browser/);
    expect(parseLoginArgs(['--issuer', TARGET.issuer, '--client-id', 'x'], '/c')).toEqual({
      issuer: TARGET.issuer,
      clientId: 'x',
      cacheDir: '/c',
      scope: 'openid profile email offline_access',
      flow: 'device',
    });
  });
});

describe('the token cache', () => {
  it('names one file per issuer and client inside the cache folder, whatever they hold', () => {
    const file = cacheFile(TARGET);
    expect(file).toMatch(/^\/home\/me\/\.cache\/latchkey\/tokens\/[0-9a-f]{32}\.json$/);
    expect(cacheFile({ ...TARGET, clientId: '../../etc/passwd' })).toMatch(/\/tokens\/[0-9a-f]{32}\.json$/);
    expect(cacheFile({ ...TARGET, clientId: 'other' })).not.toBe(file);
  });

  it('names a file of its own per --organization, and the one it named before without it', () => {
    const file = cacheFile(TARGET);
    const acme = cacheFile({ ...TARGET, organization: 'acme' });
    expect(acme).not.toBe(file);
    expect(cacheFile({ ...TARGET, organization: 'globex' })).not.toBe(acme);
    // issuer NUL clientId, as before --organization: kept sign-ins are still found after an upgrade.
    const before = createHash('sha256').update(`${TARGET.issuer}\0${TARGET.clientId}`).digest('hex');
    expect(file).toContain(before.slice(0, 32));
  });

  it('keeps what a refresh leaves out from before, and the ID token expiry from its exp', async () => {
    const first = cachedFrom(
      TARGET,
      {
        access_token: 'a1',
        expires_in: 300,
        id_token: await idToken(NOW / 1000 + 3600),
        refresh_token: 'r1',
        scope: 'openid',
      },
      NOW,
    );
    expect(first).toMatchObject({
      accessTokenExpiresAtMs: NOW + 300_000,
      idTokenExpiresAtMs: NOW + 3_600_000,
      refreshToken: 'r1',
    });
    const second = cachedFrom(TARGET, { access_token: 'a2', expires_in: 300 }, NOW + 1000, first);
    expect(second).toMatchObject({
      accessToken: 'a2',
      idToken: first.idToken,
      refreshToken: 'r1',
      scope: 'openid',
    });
  });

  it.each([
    ['with minutes left', 300_000, 'a1'],
    ['just past the margin', FRESH_FOR_MS + 1, 'a1'],
    ['at the margin', FRESH_FOR_MS, undefined],
    ['expired', -1, undefined],
  ])('gives the access token %s: %s', (_, left, expected) => {
    const cached = { ...TARGET, accessToken: 'a1', accessTokenExpiresAtMs: NOW + left };
    expect(freshToken(cached, 'access', NOW)).toBe(expected);
    expect(freshToken(cached, 'id', NOW)).toBeUndefined();
  });
});

describe('the ExecCredential (client.authentication.k8s.io/v1)', () => {
  it('carries the token and when it expires, in RFC 3339 without fractions', () => {
    expect(execCredential('t', Date.UTC(2026, 11, 7, 18, 30, 0, 123))).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 't', expirationTimestamp: '2026-12-07T18:30:00Z' },
    });
  });

  it.each([
    [
      'kubectl says interactive',
      '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":true}}',
      false,
      true,
    ],
    ['kubectl says not interactive', '{"spec":{"interactive":false}}', true, false],
    ['kubectl sends nothing, a terminal', undefined, true, true],
    ['kubectl sends nothing, no terminal', undefined, false, false],
    ['kubectl sends something unreadable', '{', true, false],
  ])('%s', (_, info, tty, interactive) => {
    const env = info === undefined ? {} : { KUBERNETES_EXEC_INFO: info };
    expect(interactiveOf(env, tty)).toBe(interactive);
  });
});
