import { describe, expect, it } from 'vitest';
import { oauthClientSpec } from '../../src/api/oauth-client.ts';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import { assertionLifetimeOf } from '../../src/store/compile/client-assertion.ts';
import { compile } from '../../src/store/compile.ts';
import { declare, world } from './world.ts';

const JWKS_URI = 'https://keys.example/jwks.json';

describe('spec.clientAssertion.maxLifetime (issue 9, item 13)', () => {
  it.each<[string, object, boolean]>([
    ['1h on a private_key_jwt client', { maxLifetime: '1h' }, true],
    ['90s', { maxLifetime: '90s' }, true],
    ['the default when only the object is there', {}, true],
    ['more than 1h', { maxLifetime: '61m' }, false],
    ['less than 1s', { maxLifetime: '500ms' }, false],
    ['no duration', { maxLifetime: 'soon' }, false],
  ])('schema: %s', (_, clientAssertion, ok) => {
    const spec = { tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: JWKS_URI, clientAssertion };
    expect(oauthClientSpec.safeParse(spec).success).toBe(ok);
  });

  it('schema: only for clients that sign assertions', () => {
    const spec = (method: string) => ({
      tokenEndpointAuthMethod: method,
      clientAssertion: { maxLifetime: '1h' },
    });
    expect(oauthClientSpec.safeParse(spec('client_secret_jwt')).success).toBe(true);
    expect(oauthClientSpec.safeParse(spec('client_secret_basic')).success).toBe(false);
  });

  it('compiles into seconds, and into nothing (the 300 s default) when absent', async () => {
    expect(assertionLifetimeOf({ clientAssertion: { maxLifetime: '1h' } })).toEqual({
      assertionMaxLifetimeSeconds: 3600,
    });
    expect(assertionLifetimeOf({})).toEqual({});
    const keys = keySetOf(await generateSigningKeys());
    const c = compile(
      world([
        declare.client('apps', 'authlib', {
          tokenEndpointAuthMethod: 'private_key_jwt',
          jwksUri: JWKS_URI,
          clientAssertion: { maxLifetime: '1h' },
        }),
      ]),
      keys,
      1,
    );
    expect(c.snapshot.clients.get('authlib.apps')?.assertionMaxLifetimeSeconds).toBe(3600);
  });
});
