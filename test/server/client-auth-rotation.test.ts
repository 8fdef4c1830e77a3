import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import type { SigningKeys } from '../../src/keys/signing-keys.ts';
import { AssertionVerifier } from '../../src/server/assertion/verifier.ts';
import { authenticateClient, type ClientAuthDeps } from '../../src/server/client-auth.ts';
import { compile, type Compiled } from '../../src/store/compile.ts';
import type { SecretData } from '../../src/store/objects.ts';
import { declare, world } from '../store/world.ts';

const ISSUER = 'https://id.example';
const NOW = Date.parse('2026-01-10T12:00:00Z');
const VALID_UNTIL = '2026-01-10T12:10:00Z';
const CURRENT = randomBytes(32).toString('base64url');
const PREVIOUS = randomBytes(32).toString('base64url');
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let keys: SigningKeys;
beforeAll(async () => {
  keys = keySetOf(await generateSigningKeys());
});

/** A Secret as the leader leaves it after a rotation: the new secret, the previous one and their times. */
function rotated(name: string, annotations: Record<string, string> = {}): SecretData {
  return {
    namespace: 'billing',
    name: `${name}-oauth`,
    data: { client_id: `${name}.billing`, client_secret: CURRENT, previous_client_secret: PREVIOUS },
    annotations: {
      'latchkey.dev/secret-rotated-at': '2026-01-10T12:00:00Z',
      'latchkey.dev/previous-secret-valid-until': VALID_UNTIL,
      ...annotations,
    },
    creationTimestamp: '2026-01-01T00:00:00Z',
  };
}

function compiled(spec: object, secret: SecretData, name = 'worker'): Compiled {
  return compile(world([declare.client('billing', name, spec)], [secret]), keys, 1);
}

/** Client authentication with a clock the test moves. */
function auth(c: Compiled) {
  const clock = { now: NOW };
  const deps: ClientAuthDeps = {
    assertions: new AssertionVerifier({ audiences: [ISSUER], now: () => clock.now }),
    now: () => clock.now,
  };
  const withSecret = (secret: string) =>
    authenticateClient(
      c.snapshot,
      undefined,
      { client_id: 'worker.billing', client_secret: secret, grant_type: 'client_credentials' },
      deps,
    );
  const withAssertion = async (secret: string) => {
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('worker.billing')
      .setSubject('worker.billing')
      .setAudience(ISSUER)
      .setJti(randomUUID())
      .setIssuedAt(Math.floor(clock.now / 1000))
      .setExpirationTime(Math.floor(clock.now / 1000) + 60)
      .sign(Buffer.from(secret, 'utf8'));
    return authenticateClient(
      c.snapshot,
      undefined,
      { client_assertion_type: JWT_BEARER, client_assertion: assertion, grant_type: 'client_credentials' },
      deps,
    );
  };
  return { clock, withSecret, withAssertion };
}

const refused = { error: 'invalid_client', detail: "wrong client_secret for 'worker.billing'" };

describe('a rotated client_secret_basic secret (injected clock)', () => {
  it('accepts the new secret, and the previous one until its valid-until time', async () => {
    const { clock, withSecret } = auth(compiled({}, rotated('worker')));
    await expect(withSecret(CURRENT)).resolves.toMatchObject({ method: 'client_secret_post' });
    await expect(withSecret(PREVIOUS)).resolves.toMatchObject({ method: 'client_secret_post' });
    clock.now = Date.parse(VALID_UNTIL) - 1;
    await expect(withSecret(PREVIOUS)).resolves.toMatchObject({ method: 'client_secret_post' });
  });

  it('refuses the previous secret from its valid-until time on, and keeps accepting the new one', async () => {
    const { clock, withSecret } = auth(compiled({}, rotated('worker')));
    clock.now = Date.parse(VALID_UNTIL);
    await expect(withSecret(PREVIOUS)).rejects.toMatchObject(refused);
    clock.now = Date.parse(VALID_UNTIL) + 3_600_000;
    await expect(withSecret(PREVIOUS)).rejects.toMatchObject(refused);
    await expect(withSecret(CURRENT)).resolves.toMatchObject({ method: 'client_secret_post' });
  });

  it('never accepts a previous secret without a readable valid-until time', async () => {
    const secret = rotated('worker', { 'latchkey.dev/previous-secret-valid-until': 'soon' });
    const { withSecret } = auth(compiled({}, secret));
    await expect(withSecret(PREVIOUS)).rejects.toMatchObject(refused);
  });

  it('ignores a previous secret in a Secret someone else writes (source: Existing)', async () => {
    const { withSecret } = auth(compiled({ secret: { source: 'Existing' } }, rotated('worker')));
    await expect(withSecret(CURRENT)).resolves.toMatchObject({ method: 'client_secret_post' });
    await expect(withSecret(PREVIOUS)).rejects.toMatchObject(refused);
  });

  it('reports the rotation in the resolution the status is written from', () => {
    const c = compiled({ secret: { rotation: { interval: '720h' } } }, rotated('worker'));
    expect(c.resolutions.get('OAuthClient/billing/worker')).toMatchObject({
      ready: true,
      secretRotatedAt: '2026-01-10T12:00:00Z',
      previousSecretValidUntil: VALID_UNTIL,
      nextSecretRotationAt: '2026-02-09T12:00:00Z',
    });
    const { previous_client_secret: _gone, ...afterGrace } = rotated('worker').data;
    const later = compiled(
      { secret: { rotation: { interval: '720h' } } },
      { ...rotated('worker'), data: afterGrace },
    ).resolutions.get('OAuthClient/billing/worker');
    expect(later?.previousSecretValidUntil).toBeUndefined();
    expect(later?.secretRotatedAt).toBe('2026-01-10T12:00:00Z');
  });
});

describe('a rotated client_secret_jwt secret (injected clock)', () => {
  const spec = { tokenEndpointAuthMethod: 'client_secret_jwt' };

  it('verifies assertions signed with the previous secret until its valid-until time', async () => {
    const { clock, withAssertion } = auth(compiled(spec, rotated('worker')));
    await expect(withAssertion(CURRENT)).resolves.toMatchObject({ method: 'client_secret_jwt' });
    clock.now = Date.parse(VALID_UNTIL) - 1000;
    await expect(withAssertion(PREVIOUS)).resolves.toMatchObject({ method: 'client_secret_jwt' });
    clock.now = Date.parse(VALID_UNTIL);
    await expect(withAssertion(PREVIOUS)).rejects.toMatchObject({ error: 'invalid_client' });
    await expect(withAssertion(CURRENT)).resolves.toMatchObject({ method: 'client_secret_jwt' });
  });
});
