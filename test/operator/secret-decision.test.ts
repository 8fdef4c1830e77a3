import { describe, expect, it } from 'vitest';
import { oauthClientSpec } from '../../src/api/oauth-client.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { decideSecret, type SecretDecisionInput } from '../../src/operator/secret-decision.ts';
import type { DeclaredOAuthClient } from '../../src/store/objects.ts';

const client = (spec: unknown = {}): DeclaredOAuthClient => ({
  kind: 'OAuthClient',
  metadata: { namespace: 'billing', name: 'worker' },
  spec: oauthClientSpec.parse(spec),
});
const urls = { issuer: 'https://id.example', tokenEndpoint: 'https://id.example/oauth2/token' };
const b64 = (s: string) => Buffer.from(s).toString('base64');
const input = (over: Partial<SecretDecisionInput> = {}): SecretDecisionInput => ({
  client: client(),
  uid: 'uid-1',
  issuedBefore: false,
  existing: undefined,
  urls,
  newSecret: () => 'new-secret',
  ...over,
});
const ours = (data: Record<string, string>, uid = 'uid-1'): KubeObject => ({
  metadata: {
    name: 'worker-oauth',
    namespace: 'billing',
    ownerReferences: [
      { apiVersion: 'latchkey.dev/v1alpha1', kind: 'OAuthClient', name: 'worker', uid, controller: true },
    ],
  },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});
const complete = {
  client_id: 'worker.billing',
  client_secret: 's',
  issuer: urls.issuer,
  token_endpoint: urls.tokenEndpoint,
};

describe('the Secret of a source: Generate client', () => {
  it('is created with the four keys, Latchkey labels and a controller ownerReference', () => {
    const action = decideSecret(input());
    expect(action).toEqual({
      kind: 'create',
      recreated: false,
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'worker-oauth',
          namespace: 'billing',
          labels: { 'app.kubernetes.io/managed-by': 'latchkey', 'latchkey.dev/oauthclient': 'worker' },
          ownerReferences: [
            {
              apiVersion: 'latchkey.dev/v1alpha1',
              kind: 'OAuthClient',
              name: 'worker',
              uid: 'uid-1',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        type: 'Opaque',
        data: {
          client_id: b64('worker.billing'),
          client_secret: b64('new-secret'),
          issuer: b64(urls.issuer),
          token_endpoint: b64(urls.tokenEndpoint),
        },
      },
    });
  });

  it('is recreated, and says so, when it was issued before and is gone', () => {
    expect(decideSecret(input({ issuedBefore: true }))).toMatchObject({ kind: 'create', recreated: true });
  });

  it('uses the configured name and key names', () => {
    const action = decideSecret(
      input({
        client: client({
          secret: {
            name: 'creds',
            keys: { clientId: 'id', clientSecret: 'pw', issuer: 'iss', tokenEndpoint: 'url' },
          },
        }),
      }),
    );
    expect(action.kind === 'create' && action.body.metadata.name).toBe('creds');
    expect(action.kind === 'create' && Object.keys(action.body['data'] as object).sort()).toEqual([
      'id',
      'iss',
      'pw',
      'url',
    ]);
  });

  it('is left alone when complete', () => {
    expect(decideSecret(input({ existing: ours(complete) }))).toEqual({ kind: 'none' });
  });

  it('gets its descriptive keys refreshed without touching the secret', () => {
    expect(decideSecret(input({ existing: ours({ ...complete, issuer: 'http://old' }) }))).toEqual({
      kind: 'update',
      data: { issuer: b64(urls.issuer) },
      secretReplaced: false,
    });
  });

  it('gets a new secret when its secret key was removed', () => {
    const { client_secret: _gone, ...rest } = complete;
    expect(decideSecret(input({ existing: ours(rest) }))).toEqual({
      kind: 'update',
      data: { client_secret: b64('new-secret') },
      secretReplaced: true,
    });
  });

  it('is never taken over when someone else owns a Secret of that name', () => {
    const foreign: KubeObject = { metadata: { name: 'worker-oauth', namespace: 'billing' }, data: {} };
    expect(decideSecret(input({ existing: foreign }))).toEqual({
      kind: 'conflict',
      message: 'Secret billing/worker-oauth belongs to another owner',
    });
    expect(decideSecret(input({ existing: ours(complete, 'another-uid') }))).toMatchObject({
      kind: 'conflict',
    });
  });

  it.each([
    ['source: Existing', { secret: { source: 'Existing' } }],
    [
      'private_key_jwt with jwksUri',
      { tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'https://worker.example/jwks.json' },
    ],
    [
      'private_key_jwt with inline jwks',
      {
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }] },
      },
    ],
  ])('is never generated for %s', (_what, spec) => {
    expect(decideSecret(input({ client: client(spec) }))).toEqual({ kind: 'none' });
  });

  it('is generated for client_secret_jwt, whose secret is the HMAC key of its assertions', () => {
    const action = decideSecret(input({ client: client({ tokenEndpointAuthMethod: 'client_secret_jwt' }) }));
    expect(action).toMatchObject({
      kind: 'create',
      recreated: false,
      body: {
        metadata: { name: 'worker-oauth', namespace: 'billing' },
        data: {
          client_id: b64('worker.billing'),
          client_secret: b64('new-secret'),
          issuer: b64(urls.issuer),
          token_endpoint: b64(urls.tokenEndpoint),
        },
      },
    });
  });

  it('gets a client_secret_jwt client a new secret when its secret key was removed', () => {
    const { client_secret: _gone, ...rest } = complete;
    const spec = { tokenEndpointAuthMethod: 'client_secret_jwt' };
    expect(decideSecret(input({ client: client(spec), existing: ours(rest) }))).toEqual({
      kind: 'update',
      data: { client_secret: b64('new-secret') },
      secretReplaced: true,
    });
  });
});
