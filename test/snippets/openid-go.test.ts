/**
 * Go's go-oidc (github.com/coreos/go-oidc/v3) takes Latchkey as an OpenID provider (issue 12): `oidc.NewProvider`
 * accepts its discovery document at the issuer it was given (no InsecureIssuerURLContext), and the provider's
 * default verifier, configured with nothing but the client id, verifies the ID tokens the token endpoint issues,
 * their `at_hash` included, for every algorithm discovery lists. The program is snippets/go-openid/main.go.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningAlgorithm } from '../../src/api/resource-server.ts';
import type { SigningKey } from '../../src/keys/signing-keys.ts';
import { idTokenClaims, signIdToken, type IdTokenInput } from '../../src/people/tokens/id-token.ts';
import { issuerUrls } from '../../src/server/issuer.ts';
import { startPeopleHarness, type PeopleHarness } from '../people/harness.ts';
import { SETUP_TIMEOUT_MS, setupSnippet } from './harness.ts';
import {
  discoveryDocument,
  issueTokens,
  refreshTokens,
  runValidator,
  userIdOf,
  WEB_CLIENT,
  type TokenResponse,
} from './openid-harness.ts';

/**
 * The algorithms Latchkey signs ID tokens with: RS256 only, the default of a client that registers no
 * `id_token_signed_response_alg` (src/people/tokens/id-token.ts). The test below fails when discovery lists
 * another, so that one gets an issued token here too.
 */
const ID_TOKEN_ALGORITHMS = ['RS256'] as const;

/** Latchkey's other signing keys (access tokens, RFC 9068): published in the JWKS, not offered for ID tokens. */
const OTHER_KEY_ALGORITHMS = ['ES256', 'EdDSA'] as const;

interface Discovered {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  jwks_uri: string;
  id_token_signing_alg_values_supported: string[];
}

interface Verdict {
  verified: boolean;
  error?: string;
  alg?: string;
  kid?: string;
  claims?: Record<string, unknown>;
  access_token?: string;
}

describe('go-oidc’s NewProvider and default ID token verifier on Latchkey', () => {
  let binary: string;
  let h: PeopleHarness;
  let served: Record<string, unknown>;

  beforeAll(async () => {
    binary = await setupSnippet('go-openid');
    h = await startPeopleHarness({ now: 'real' });
    served = await discoveryDocument(h);
  }, SETUP_TIMEOUT_MS);
  afterAll(() => h?.close());

  /** Runs the program on these tokens; the first line is the provider, one verdict per token follows. */
  async function goOidc(
    tokens: { id_token: string; access_token?: string }[],
    env: { issuer?: string; clientId?: string; algs?: string } = {},
  ): Promise<{ provider: Discovered; verdicts: Verdict[] }> {
    const res = await runValidator(
      { command: binary, args: [] },
      tokens.map((t) => JSON.stringify(t)).join('\n'),
      {
        LATCHKEY_ISSUER: env.issuer ?? h.issuer,
        LATCHKEY_CLIENT_ID: env.clientId ?? WEB_CLIENT,
        LATCHKEY_ID_TOKEN_ALGS: env.algs ?? '',
      },
    );
    expect(res, res.stderr).toMatchObject({ code: 0, stderr: '' });
    const [provider, ...verdicts] = res.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    return { provider: provider as Discovered, verdicts: verdicts as Verdict[] };
  }

  function key(alg: SigningAlgorithm): SigningKey {
    const k = h.keys.active.get(alg);
    if (k === undefined) throw new Error(`the harness has no ${alg} key`);
    return k;
  }

  /** ID token claims as the token endpoint makes them, for tokens Latchkey does not issue. */
  function claims(overrides: Partial<IdTokenInput> = {}, nowMs = Date.now()) {
    return idTokenClaims(
      {
        issuer: h.issuer,
        clientId: WEB_CLIENT,
        userId: userIdOf('bob'),
        sid: 'sid-forged',
        authTime: Math.floor(nowMs / 1000),
        amr: ['pwd'],
        lifetimeSeconds: 300,
        accessToken: 'an-access-token',
        algorithm: 'RS256',
        person: {},
        ...overrides,
      },
      nowMs,
    );
  }

  it('NewProvider accepts the document at the issuer and reads the served endpoints', async () => {
    const urls = issuerUrls(h.issuer);
    const { provider } = await goOidc([]);
    expect(provider).toEqual({
      issuer: h.issuer,
      authorization_endpoint: urls.authorizationEndpoint,
      token_endpoint: urls.tokenEndpoint,
      userinfo_endpoint: urls.userinfoEndpoint,
      jwks_uri: urls.jwksUri,
      id_token_signing_alg_values_supported: served['id_token_signing_alg_values_supported'],
    });
  });

  it('NewProvider refuses the document when given the issuer spelt otherwise (localhost)', async () => {
    const other = h.issuer.replace('127.0.0.1', 'localhost');
    const res = await runValidator({ command: binary, args: [] }, '', {
      LATCHKEY_ISSUER: other,
      LATCHKEY_CLIENT_ID: WEB_CLIENT,
    });
    expect(res).toMatchObject({ code: 1, stdout: '' });
    expect(res.stderr).toContain(
      `oidc: issuer URL provided to client ("${other}") did not match the issuer URL returned by provider ("${h.issuer}")`,
    );
  });

  it('discovery lists exactly the ID token algorithms this test gets issued tokens for', () => {
    expect(served['id_token_signing_alg_values_supported']).toEqual([...ID_TOKEN_ALGORITHMS]);
  });

  it.each(ID_TOKEN_ALGORITHMS)(
    'the default verifier accepts a %s ID token from the token endpoint, with its at_hash',
    async (alg) => {
      const tokens: TokenResponse = await issueTokens(h, {
        person: 'alice',
        scopes: ['openid', 'profile', 'email'],
        nonce: 'n-0S6_WzA2Mj',
      });
      const { verdicts } = await goOidc([tokens]);
      expect(verdicts).toEqual([
        {
          verified: true,
          alg,
          kid: key(alg).kid,
          access_token: 'verified',
          claims: {
            iss: h.issuer,
            sub: userIdOf('alice'),
            aud: WEB_CLIENT,
            azp: WEB_CLIENT,
            exp: expect.any(Number),
            iat: expect.any(Number),
            auth_time: expect.any(Number),
            nonce: 'n-0S6_WzA2Mj',
            amr: ['pwd'],
            sid: expect.any(String),
            at_hash: expect.any(String),
            name: 'Alice Example',
            preferred_username: 'alice',
            groups: ['admins'],
            email: 'alice@example.com',
            email_verified: true,
          },
        },
      ]);
    },
  );

  it('the default verifier accepts the ID token of a refresh (no nonce, the same sign-in), with its at_hash', async () => {
    const first = await issueTokens(h, {
      person: 'bob',
      scopes: ['openid', 'email', 'offline_access'],
      nonce: 'n-refresh',
    });
    const refreshed = await refreshTokens(h, first.refresh_token as string);
    const { verdicts } = await goOidc([first, refreshed]);
    expect(verdicts.map((v) => v.access_token)).toEqual(['verified', 'verified']);
    const [before, after] = verdicts.map((v) => v.claims as Record<string, unknown>);
    expect(after).not.toHaveProperty('nonce');
    expect(after).toEqual({
      ...before,
      nonce: undefined,
      at_hash: expect.any(String),
      exp: expect.any(Number),
      iat: expect.any(Number),
    });
    expect(after?.['at_hash']).not.toBe(before?.['at_hash']);
  });

  it('the default verifier refuses an issued ID token for another client, a forged one and an expired one', async () => {
    const issued = await issueTokens(h, { person: 'bob', scopes: ['openid'] });
    const stranger: SigningKey = {
      ...key('RS256'),
      privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    };
    const expiredAt = Date.now() - 3_600_000;
    const inputs = [
      { id_token: await signIdToken(stranger, claims()) },
      { id_token: await signIdToken(key('RS256'), claims({ issuer: 'https://elsewhere.example' })) },
      { id_token: await signIdToken(key('RS256'), claims({}, expiredAt)) },
      { id_token: issued.id_token, access_token: 'another-access-token' },
    ];
    const { verdicts } = await goOidc(inputs);
    expect(verdicts.map((v) => v.error ?? v.access_token)).toEqual([
      'failed to verify signature: failed to verify id token signature',
      `oidc: id token issued by a different provider, expected "${h.issuer}" got "https://elsewhere.example"`,
      expect.stringMatching(/^oidc: token is expired \(Token Expiry: .+\)$/),
      'access token hash does not match value in ID token',
    ]);
    const { verdicts: other } = await goOidc([issued], { clientId: 'spa.people' });
    expect(other[0]?.error).toBe(`oidc: expected audience "spa.people" got ["${WEB_CLIENT}"]`);
  });

  it.each(OTHER_KEY_ALGORITHMS)(
    'the default verifier refuses an ID token signed with Latchkey’s %s key, which discovery does not list; told the algorithm, it verifies it and its at_hash',
    async (alg) => {
      const accessToken = 'an-access-token-for-at-hash';
      const token = { id_token: await signIdToken(key(alg), claims({ algorithm: alg, accessToken })) };
      const byDefault = await goOidc([token]);
      expect(byDefault.verdicts).toEqual([
        {
          verified: false,
          alg,
          kid: key(alg).kid,
          error: `oidc: malformed jwt: unexpected signature algorithm "${alg}"; expected ["RS256"]`,
        },
      ]);
      const told = await goOidc([{ ...token, access_token: accessToken }], { algs: alg });
      expect(told.verdicts[0]).toMatchObject({ verified: true, alg, access_token: 'verified' });
    },
  );
});
