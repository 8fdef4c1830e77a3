import { describe, expect, it } from 'vitest';
import { AUTH_METHODS, GRANT_TYPES } from '../../src/api/oauth-client.ts';
import {
  AUTH_METHOD_CAPABILITIES,
  FEDERATED_GRANT_TYPES,
  GRANT_CAPABILITIES,
  SENT_SECRET_METHODS,
  SHARED_SECRET_METHODS,
  SIGNED_ASSERTION_METHODS,
  SUPPORTED_AUTH_METHODS,
  SUPPORTED_GRANT_TYPES,
} from '../../src/api/protocol-capabilities.ts';

describe('the table of protocol capabilities', () => {
  it('has a row for every grant type and client authentication method the schema accepts, in its order', () => {
    expect(Object.keys(GRANT_CAPABILITIES)).toEqual([...GRANT_TYPES]);
    expect(Object.keys(AUTH_METHOD_CAPABILITIES)).toEqual([...AUTH_METHODS]);
  });

  it('supports client_credentials, the people grants, the device grant, jwt-bearer and token-exchange, the last two through federated identities', () => {
    expect(SUPPORTED_GRANT_TYPES).toEqual([
      'client_credentials',
      'authorization_code',
      'refresh_token',
      'urn:ietf:params:oauth:grant-type:device_code',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
    expect([...FEDERATED_GRANT_TYPES]).toEqual([
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
  });

  it('lists the methods that work in discovery order: secrets sent as they are, then signed assertions', () => {
    expect(SUPPORTED_AUTH_METHODS).toEqual([
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
      'client_secret_jwt',
      'none',
    ]);
    expect(SENT_SECRET_METHODS).toEqual(['client_secret_basic', 'client_secret_post']);
    expect(SIGNED_ASSERTION_METHODS).toEqual(['private_key_jwt', 'client_secret_jwt']);
  });

  it('gives a generated Secret to the methods that use the client secret, client_secret_jwt included', () => {
    expect([...SHARED_SECRET_METHODS]).toEqual([
      'client_secret_basic',
      'client_secret_post',
      'client_secret_jwt',
    ]);
  });

  it('supports every grant type and authentication method the schema accepts, the device flow included', () => {
    for (const c of Object.values(GRANT_CAPABILITIES)) expect(c.supported).toBe(true);
    for (const c of Object.values(AUTH_METHOD_CAPABILITIES)) expect(c.supported).toBe(true);
    for (const type of FEDERATED_GRANT_TYPES) expect(GRANT_CAPABILITIES[type].supported).toBe(true);
    expect(AUTH_METHOD_CAPABILITIES.none).toEqual({
      supported: true,
      sharedSecret: false,
      presents: 'nothing',
    });
  });
});
