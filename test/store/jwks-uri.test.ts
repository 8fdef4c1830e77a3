import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import type { SigningKeys } from '../../src/keys/signing-keys.ts';
import { addressPolicyOption, STRICT_POLICY } from '../../src/outbound/address-policy.ts';
import { compile } from '../../src/store/compile.ts';
import { jwksUriProblem } from '../../src/store/compile/jwks-uri.ts';
import { declare, world } from './world.ts';

const LOOPBACK_ALLOWED = { ...STRICT_POLICY, allowLoopback: true };
const DEX_ALLOWED = addressPolicyOption('dex.dex.svc', undefined, false);
const LOCALHOST_ALLOWED = addressPolicyOption('localhost', undefined, false);

describe('jwksUriProblem', () => {
  it.each([
    ['https://keys.example/jwks.json', STRICT_POLICY, undefined],
    ['http://keys.example/jwks.json', STRICT_POLICY, /plain http is allowed only for hosts/],
    ['https://127.0.0.1:8443/jwks', STRICT_POLICY, /127\.0\.0\.1 is a loopback address/],
    ['https://0x7f.1/jwks', STRICT_POLICY, /127\.0\.0\.1 is a loopback address/],
    ['https://169.254.169.254/latest', STRICT_POLICY, /is a cloud metadata address/],
    ['https://[fe80::1]/jwks', STRICT_POLICY, /is a link-local address/],
    ['https://metadata.google.internal/jwks', STRICT_POLICY, /cloud metadata address/],
    ['https://localhost/jwks', STRICT_POLICY, /localhost is a loopback address/],
    ['http://localhost:8080/jwks', LOOPBACK_ALLOWED, undefined],
    ['http://dex.dex.svc:5556/keys', DEX_ALLOWED, undefined],
    ['http://other.dex.svc:5556/keys', DEX_ALLOWED, /plain http/],
    // Offline (latchkey validate): the operator's allow list is unknown, so only the scheme is judged.
    ['https://127.0.0.1/jwks', undefined, undefined],
    ['http://localhost:8080/jwks', undefined, /not an https URL.*--allow-issuer-hosts/],
    ['ftp://keys.example/jwks', undefined, /not an https URL/],
    ['not a url', undefined, /not a URL/],
  ])('%s → %s', (uri, policy, problem) => {
    const found = jwksUriProblem(uri, policy);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });
});

describe('compile: a private_key_jwt client with a jwksUri', () => {
  let keys: SigningKeys;
  beforeAll(async () => {
    keys = keySetOf(await generateSigningKeys());
  });

  const signer = (jwksUri: string) =>
    declare.client('ns', 'signer', { tokenEndpointAuthMethod: 'private_key_jwt', jwksUri });

  it('is not Ready, and says why, when Latchkey will not fetch its jwksUri', () => {
    const c = compile(
      { ...world([signer('http://localhost:8080/jwks')]), addressPolicy: STRICT_POLICY },
      keys,
      1,
    );
    expect(c.snapshot.clients.size).toBe(0);
    const ready = c.resolutions.get('OAuthClient/ns/signer' as never)?.conditions[0];
    expect(ready).toMatchObject({ type: 'Ready', status: 'False', reason: 'InvalidClientKeys' });
    expect(ready?.message).toBe(
      'spec.jwksUri: Latchkey will not fetch it: plain http is allowed only for hosts the operator lists in --allow-issuer-hosts',
    );
  });

  it.each([
    ['https://169.254.169.254/latest', /169\.254\.169\.254 is a cloud metadata address$/],
    ['https://[::1]:8443/jwks', /is a loopback address$/],
  ])('is not Ready for %s, an address no policy default allows', (uri, message) => {
    const c = compile({ ...world([signer(uri)]), addressPolicy: STRICT_POLICY }, keys, 1);
    expect(c.snapshot.clients.size).toBe(0);
    expect(c.resolutions.get('OAuthClient/ns/signer' as never)?.conditions[0]?.message).toMatch(message);
  });

  it('is served when the operator allows its host', () => {
    const c = compile(
      { ...world([signer('http://localhost:8080/jwks')]), addressPolicy: LOCALHOST_ALLOWED },
      keys,
      1,
    );
    expect(c.snapshot.clients.get('signer.ns')?.assertionKeys).toEqual({
      kind: 'jwksUri',
      uri: 'http://localhost:8080/jwks',
    });
  });
});
