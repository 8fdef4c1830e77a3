import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import { compile } from '../../src/store/compile.ts';
import type { DeclaredObject, WorldInputs } from '../../src/store/objects.ts';
import { declare, secret, world } from './world.ts';

/** The people sign-in world of the compile tests (issue 12): an oidc and a test Connection, a web client. */

const keys = keySetOf(await generateSigningKeys());

export const UPSTREAM_SECRET = 'upstream-client-secret-do-not-leak';
export const WEB_SECRET = 'w'.repeat(43);

export const corpSso = (extra: object = {}) =>
  declare.connection('people', 'corp-sso', {
    type: 'oidc',
    issuer: 'https://sso.example.com',
    displayName: 'Corporate SSO',
    clientId: 'latchkey',
    clientSecretRef: { name: 'corp-sso-oauth' },
    scopes: ['email', 'profile'],
    ...extra,
  });
export const testPeople = declare.connection('people', 'test-people', {
  type: 'test',
  testUsers: [
    {
      username: 'alice',
      password: 'alice-password-1',
      email: 'alice@example.com',
      name: 'Alice',
      groups: ['admins'],
    },
    { username: 'bob', password: 'bob-password-2', emailVerified: false },
  ],
});
export const webApp = (extra: object = {}) =>
  declare.client('people', 'web-app', {
    appType: 'web',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: ['https://app.example.com/callback'],
    connections: [{ name: 'corp-sso' }],
    ...extra,
  });
export const upstreamSecret = secret('people', 'corp-sso-oauth', { client_secret: UPSTREAM_SECRET });
export const webSecret = secret('people', 'web-app-oauth', { client_secret: WEB_SECRET });

export function compiled(
  objects: DeclaredObject[],
  extra: Partial<WorldInputs> = {},
  secrets = [upstreamSecret, webSecret],
) {
  return compile({ ...world(objects, secrets), ...extra }, keys, 1);
}

export function resolution(c: ReturnType<typeof compile>, key: string) {
  const r = c.resolutions.get(key as never);
  if (r === undefined) throw new Error(`no resolution for ${key}`);
  return r;
}

export const ready = (c: ReturnType<typeof compile>, key: string) => resolution(c, key).conditions[0];

export { keys };
