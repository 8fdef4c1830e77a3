/**
 * Python's authlib validates Latchkey's OpenID discovery document (issue 12): OpenID Connect Discovery 1.0 §3
 * with `authlib.oidc.discovery.OpenIDProviderMetadata.validate()`, composed with its metadata classes for
 * RP-Initiated Logout (`end_session_endpoint`) and RFC 9207 (`authorization_response_iss_parameter_supported`). authlib is the strictest validator the RFC 8414 document was tried
 * with (test/snippets/authlib-metadata.test.ts); it comes from scripts/snippets/setup-python.sh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeopleHarness, type PeopleHarness } from '../people/harness.ts';
import { SETUP_TIMEOUT_MS, setupSnippet } from './harness.ts';
import { discoveryDocument, runValidator, type Run } from './openid-harness.ts';

// OpenIDProviderMetadata leaves out the RFC 8414 members OpenID Discovery does not define (introspection,
// revocation, code_challenge_methods_supported), so the same document also passes RFC 8414's own validator.
const VALIDATE = `
import json, sys
from authlib.oauth2 import rfc8414, rfc9207
from authlib.oidc import discovery, rpinitiated
metadata = json.load(sys.stdin)
discovery.OpenIDProviderMetadata(metadata).validate(
    metadata_classes=[rpinitiated.OpenIDProviderMetadata, rfc9207.AuthorizationServerMetadata]
)
rfc8414.AuthorizationServerMetadata(metadata).validate()
print("valid")
`;

describe('the OpenID discovery document under authlib’s OpenIDProviderMetadata.validate()', () => {
  let python: string;
  let h: PeopleHarness;
  let served: Record<string, unknown>;

  beforeAll(async () => {
    python = await setupSnippet('python');
    h = await startPeopleHarness();
    served = await discoveryDocument(h);
  }, SETUP_TIMEOUT_MS);
  afterAll(() => h?.close());

  // The harness serves plain http; authlib insists on https for every URL unless told.
  const validate = (metadata: unknown): Promise<Run> =>
    runValidator({ command: python, args: ['-c', VALIDATE] }, JSON.stringify(metadata), {
      AUTHLIB_INSECURE_TRANSPORT: '1',
    });

  it('is valid as served', async () => {
    expect(await validate(served)).toEqual({ code: 0, stdout: 'valid\n', stderr: '' });
  });

  // What the validator checks is what a relying party leans on: each change below breaks one requirement.
  it.each([
    {
      change: 'without RS256 among the ID token algorithms',
      edit: (m: Record<string, unknown>) => ({ ...m, id_token_signing_alg_values_supported: ['ES256'] }),
      error: '"RS256" MUST be included in "id_token_signing_alg_values_supported"',
    },
    {
      change: 'without subject_types_supported',
      edit: ({ subject_types_supported: _, ...m }: Record<string, unknown>) => m,
      error: '"subject_types_supported" is required',
    },
    {
      change: 'without an authorization endpoint',
      edit: ({ authorization_endpoint: _, ...m }: Record<string, unknown>) => m,
      error: '"authorization_endpoint" is required',
    },
    {
      change: 'with an issuer that has a query',
      edit: (m: Record<string, unknown>) => ({ ...m, issuer: `${String(m['issuer'])}?tenant=a` }),
      error: '"issuer" has no query or fragment',
    },
  ])('would be refused $change', async ({ edit, error }) => {
    const refused = await validate(edit(served));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(error);
  });
});
