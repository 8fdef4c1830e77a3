/**
 * Java's Nimbus OAuth 2.0 SDK with OpenID Connect extensions reads Latchkey's OpenID discovery document
 * (issue 12): `OIDCProviderMetadata.parse(json)` on the served document and `OIDCProviderMetadata.resolve(issuer)`
 * as a relying party fetches it (which also checks the document names that issuer). What Nimbus understood is
 * compared with the URLs the server serves. Beyond what the issue asks, its IDTokenValidator, made from that
 * metadata for a client registered with the defaults, verifies issued ID tokens. The programs are
 * snippets/java/.../OpenIdMetadata.java and VerifyIdToken.java, compiled by scripts/snippets/setup-java.sh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuerUrls } from '../../src/server/issuer.ts';
import { startPeopleHarness, type PeopleHarness } from '../people/harness.ts';
import { SETUP_TIMEOUT_MS, setupSnippet } from './harness.ts';
import {
  discoveryDocument,
  issueTokens,
  runValidator,
  userIdOf,
  WEB_CLIENT,
  type TokenResponse,
} from './openid-harness.ts';

describe('the OpenID discovery document under Nimbus’s OIDCProviderMetadata', () => {
  let classpath: string;
  let h: PeopleHarness;
  let served: Record<string, unknown>;

  beforeAll(async () => {
    classpath = await setupSnippet('java');
    // The wall clock: Nimbus checks iat and exp of ID tokens against its own.
    h = await startPeopleHarness({ now: 'real' });
    served = await discoveryDocument(h);
  }, SETUP_TIMEOUT_MS);
  afterAll(() => h?.close());

  const nimbus = (stdin: string, issuer?: string) =>
    runValidator(
      { command: 'java', args: ['-cp', classpath, 'example.OpenIdMetadata', ...(issuer ? [issuer] : [])] },
      stdin,
    );

  /** What Nimbus must have read: every endpoint at the URL the server routes, every list as served. */
  function expected(): Record<string, unknown> {
    const urls = issuerUrls(h.issuer);
    const listed = (member: string) => served[member] ?? null;
    return {
      issuer: h.issuer,
      authorization_endpoint: urls.authorizationEndpoint,
      token_endpoint: urls.tokenEndpoint,
      userinfo_endpoint: urls.userinfoEndpoint,
      jwks_uri: urls.jwksUri,
      end_session_endpoint: urls.endSessionEndpoint,
      pushed_authorization_request_endpoint: urls.parEndpoint,
      introspection_endpoint: urls.introspectionEndpoint,
      revocation_endpoint: urls.revocationEndpoint,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: listed('id_token_signing_alg_values_supported'),
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
      claims_supported: listed('claims_supported'),
      grant_types_supported: listed('grant_types_supported'),
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: listed('token_endpoint_auth_methods_supported'),
      scopes_supported: listed('scopes_supported'),
      authorization_response_iss_parameter_supported: true,
      require_pushed_authorization_requests: false,
      unrecognized: [],
    };
  }

  it('parse() reads every endpoint and list as served, and finds no member it does not know', async () => {
    const res = await nimbus(JSON.stringify(served));
    expect(res, res.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(res.stdout)).toEqual(expected());
  });

  it('resolve(issuer) fetches the document from the issuer and reads the same', async () => {
    const res = await nimbus('', h.issuer);
    expect(res, res.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(res.stdout)).toEqual(expected());
  });

  it('resolve() refuses the document when given the issuer spelt otherwise (localhost)', async () => {
    const res = await nimbus('', h.issuer.replace('127.0.0.1', 'localhost'));
    expect(res).toMatchObject({ code: 1, stdout: '' });
    expect(res.stderr.trimEnd()).toBe(
      `metadata refused: The returned issuer doesn't match the expected: ${h.issuer}`,
    );
  });

  it('parse() refuses the document without subject_types_supported', async () => {
    const { subject_types_supported: _, ...without } = served;
    const res = await nimbus(JSON.stringify(without));
    expect(res).toMatchObject({ code: 1, stdout: '' });
    expect(res.stderr.trimEnd()).toBe(
      'metadata refused: Missing JSON object member with key subject_types_supported',
    );
  });

  /** VerifyIdToken: the provider resolved from the issuer, a client registered with the defaults (RS256). */
  async function verifyIdTokens(
    inputs: { id_token: string; access_token?: string; nonce?: string }[],
    clientId = WEB_CLIENT,
  ): Promise<Record<string, unknown>[]> {
    const res = await runValidator(
      { command: 'java', args: ['-cp', classpath, 'example.VerifyIdToken', h.issuer, clientId] },
      inputs.map((i) => JSON.stringify(i)).join('\n'),
    );
    expect(res, res.stderr).toMatchObject({ code: 0, stderr: '' });
    return res.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it('IDTokenValidator accepts an issued ID token with the request’s nonce, and its at_hash', async () => {
    const tokens: TokenResponse = await issueTokens(h, {
      person: 'alice',
      scopes: ['openid'],
      nonce: 'n-java-1',
    });
    const verdicts = await verifyIdTokens([{ ...tokens, nonce: 'n-java-1' }]);
    expect(verdicts).toEqual([
      {
        verified: true,
        sub: userIdOf('alice'),
        sid: expect.any(String),
        nonce: 'n-java-1',
        amr: ['pwd'],
        access_token: 'verified',
      },
    ]);
  });

  it('IDTokenValidator refuses another nonce, another client and an at_hash of another access token', async () => {
    const tokens = await issueTokens(h, { person: 'bob', scopes: ['openid'], nonce: 'n-java-2' });
    const verdicts = await verifyIdTokens([
      { id_token: tokens.id_token, nonce: 'n-java-other' },
      { id_token: tokens.id_token, nonce: 'n-java-2', access_token: 'another-access-token' },
    ]);
    expect(verdicts.map((v) => v['error'] ?? v['access_token'])).toEqual([
      'Unexpected JWT nonce (nonce) claim: n-java-2',
      'Access token hash (at_hash) mismatch',
    ]);
    const [other] = await verifyIdTokens([{ id_token: tokens.id_token, nonce: 'n-java-2' }], 'spa.people');
    expect(other).toEqual({ verified: false, error: `Unexpected JWT audience: [${WEB_CLIENT}]` });
  });
});
