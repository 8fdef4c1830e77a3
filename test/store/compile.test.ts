import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { oauthClientSpec, type GrantType } from '../../src/api/oauth-client.ts';
import { AUTH_METHOD_CAPABILITIES, GRANT_CAPABILITIES } from '../../src/api/protocol-capabilities.ts';
import { generateCrds } from '../../src/crd/generate.ts';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import type { SigningKeys } from '../../src/keys/signing-keys.ts';
import { compile } from '../../src/store/compile.ts';
import { capabilityProblems } from '../../src/store/compile/client.ts';
import { defaultClientId, organizationId } from '../../src/store/names.ts';
import { digestSecret } from '../../src/store/secrets.ts';
import { declare, secret, world } from './world.ts';

let keys: SigningKeys;
beforeAll(async () => {
  keys = keySetOf(await generateSigningKeys());
});

const GOOD_SECRET = 'x'.repeat(43);
const payments = (extra: object = {}) =>
  declare.api('payments', 'payments-api', {
    identifier: 'https://payments.internal',
    scopes: [{ name: 'payments:read' }, { name: 'payments:write' }, { name: 'payments:refund' }],
    ...extra,
  });
const clientSecret = (ns: string, name: string) =>
  secret(ns, `${name}-oauth`, { client_secret: GOOD_SECRET });

function resolutionOf(c: ReturnType<typeof compile>, key: string) {
  const r = c.resolutions.get(key as never);
  if (!r) throw new Error(`no resolution for ${key}`);
  return r;
}

describe('effective permissions', () => {
  it('unites direct grants and roles per ResourceServer, in the API declaration order', () => {
    const c = compile(
      world(
        [
          payments(),
          declare.role('payments', 'writer', {
            permissions: [{ resourceServer: { name: 'payments-api' }, scopes: ['payments:write'] }],
          }),
          declare.client('payments', 'worker', {
            grants: [
              { resourceServer: { name: 'payments-api' }, scopes: ['payments:refund', 'payments:read'] },
            ],
            roles: [{ name: 'writer' }],
          }),
        ],
        [clientSecret('payments', 'worker')],
      ),
      keys,
      1,
    );
    const client = c.snapshot.clients.get('worker.payments');
    expect(client?.permissions.get('https://payments.internal')?.scopes).toEqual([
      'payments:read',
      'payments:write',
      'payments:refund',
    ]);
    expect(resolutionOf(c, 'OAuthClient/payments/worker').ready).toBe(true);
    expect(client?.secretDigests).toEqual([digestSecret(GOOD_SECRET)]);
  });

  it('uses spec.clientId when set and name.namespace otherwise', () => {
    expect(defaultClientId('billing', 'worker')).toBe('worker.billing');
    const c = compile(
      world(
        [payments(), declare.client('payments', 'worker', { clientId: 'custom-id' })],
        [clientSecret('payments', 'worker')],
      ),
      keys,
      1,
    );
    expect([...c.snapshot.clients.keys()]).toEqual(['custom-id']);
    expect(resolutionOf(c, 'OAuthClient/payments/worker').clientId).toBe('custom-id');
  });
});

describe('references', () => {
  const grantFromBilling = declare.client('billing', 'worker', {
    grants: [{ resourceServer: { name: 'payments-api', namespace: 'payments' }, scopes: ['payments:read'] }],
  });

  it('refuses a reference into another namespace without allowedNamespaces, saying why', () => {
    const c = compile(world([payments(), grantFromBilling], [clientSecret('billing', 'worker')]), keys, 1);
    const r = resolutionOf(c, 'OAuthClient/billing/worker');
    expect(r.ready).toBe(false);
    expect(r.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'ReferenceNotAllowed' });
    expect(r.conditions[0]?.message).toContain(
      'spec.grants[0]: ResourceServer payments/payments-api does not allow references from namespace billing',
    );
    expect(c.snapshot.clients.get('worker.billing')?.permissions.size).toBe(0);
  });

  it('honours a reference when allowedNamespaces selects the namespace labels', () => {
    const api = payments({ allowedNamespaces: { matchLabels: { team: 'billing' } } });
    const c = compile(
      world([api, grantFromBilling], [clientSecret('billing', 'worker')], { billing: { team: 'billing' } }),
      keys,
      1,
    );
    expect(resolutionOf(c, 'OAuthClient/billing/worker').ready).toBe(true);
    expect(
      c.snapshot.clients.get('worker.billing')?.permissions.get('https://payments.internal')?.scopes,
    ).toEqual(['payments:read']);
  });

  it.each([
    ['a label that does not match', { matchLabels: { team: 'other' } }, false],
    ['the namespace name label', { matchLabels: { 'kubernetes.io/metadata.name': 'billing' } }, true],
    ['an empty selector (every namespace)', {}, true],
    [
      'matchExpressions In',
      { matchExpressions: [{ key: 'team', operator: 'In', values: ['billing'] }] },
      true,
    ],
    [
      'matchExpressions NotIn',
      { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['billing'] }] },
      false,
    ],
    [
      'matchExpressions DoesNotExist',
      { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] },
      false,
    ],
  ])('allowedNamespaces with %s → allowed %s', (_what, selector, expected) => {
    const c = compile(
      world(
        [payments({ allowedNamespaces: selector }), grantFromBilling],
        [clientSecret('billing', 'worker')],
        {
          billing: { team: 'billing' },
        },
      ),
      keys,
      1,
    );
    expect(resolutionOf(c, 'OAuthClient/billing/worker').ready).toBe(expected);
  });

  it('reports a dangling reference and still serves what resolved', () => {
    const c = compile(
      world(
        [
          payments(),
          declare.client('payments', 'worker', {
            grants: [{ resourceServer: { name: 'payments-api' }, scopes: ['payments:read'] }],
            roles: [{ name: 'missing-role' }],
          }),
        ],
        [clientSecret('payments', 'worker')],
      ),
      keys,
      1,
    );
    const r = resolutionOf(c, 'OAuthClient/payments/worker');
    expect(r.conditions.find((x) => x.type === 'ReferencesResolved')).toMatchObject({
      status: 'False',
      reason: 'ReferenceNotFound',
      message: 'spec.roles[0]: Role payments/missing-role not found',
    });
    expect(
      c.snapshot.clients.get('worker.payments')?.permissions.get('https://payments.internal')?.scopes,
    ).toEqual(['payments:read']);
  });

  it('reports a scope the ResourceServer does not declare', () => {
    const c = compile(
      world([
        payments(),
        declare.role('payments', 'r', {
          permissions: [
            { resourceServer: { name: 'payments-api' }, scopes: ['payments:read', 'payments:delete'] },
          ],
        }),
      ]),
      keys,
      1,
    );
    expect(resolutionOf(c, 'Role/payments/r').conditions[0]).toMatchObject({
      status: 'False',
      reason: 'ScopeNotDeclared',
      message:
        'spec.permissions[0]: ResourceServer payments/payments-api does not declare scope payments:delete',
    });
  });

  it("checks a role referenced from another namespace against the role's allowedNamespaces", () => {
    const role = declare.role('payments', 'writer', {
      permissions: [{ resourceServer: { name: 'payments-api' }, scopes: ['payments:write'] }],
    });
    const client = declare.client('billing', 'worker', {
      roles: [{ name: 'writer', namespace: 'payments' }],
    });
    const c = compile(world([payments(), role, client], [clientSecret('billing', 'worker')]), keys, 1);
    expect(resolutionOf(c, 'OAuthClient/billing/worker').conditions[0]?.reason).toBe('ReferenceNotAllowed');
  });
});

describe('conflicts', () => {
  it('gives an identifier to the older ResourceServer, never to a newcomer', () => {
    const old = declare.api('payments', 'payments-api', { identifier: 'https://p' }, '2026-01-01T00:00:00Z');
    const newcomer = declare.api('aaa', 'hijack', { identifier: 'https://p' }, '2026-02-01T00:00:00Z');
    const c = compile(world([newcomer, old]), keys, 1);
    expect(c.snapshot.apis.get('https://p')?.namespace).toBe('payments');
    expect(resolutionOf(c, 'ResourceServer/aaa/hijack').conditions[0]).toMatchObject({
      reason: 'IdentifierConflict',
      message: 'identifier https://p is already used by ResourceServer payments/payments-api',
    });
  });

  it('gives a client id to the older OAuthClient', () => {
    const a = declare.client('a', 'one', { clientId: 'shared' }, '2026-01-01T00:00:00Z');
    const b = declare.client('b', 'two', { clientId: 'shared' }, '2025-01-01T00:00:00Z');
    const c = compile(world([a, b], [clientSecret('a', 'one'), clientSecret('b', 'two')]), keys, 1);
    expect(c.snapshot.clients.get('shared')?.namespace).toBe('b');
    expect(resolutionOf(c, 'OAuthClient/a/one').conditions[0]?.reason).toBe('ClientIdConflict');
  });
});

describe('secrets', () => {
  it('does not serve a client whose Secret is missing, and says which Secret it waits for', () => {
    const c = compile(world([declare.client('ns', 'c', { secret: { source: 'Existing' } })]), keys, 1);
    expect(c.snapshot.clients.size).toBe(0);
    expect(
      resolutionOf(c, 'OAuthClient/ns/c').conditions.find((x) => x.type === 'SecretReady'),
    ).toMatchObject({
      status: 'False',
      reason: 'SecretMissing',
      message: 'waiting for Secret ns/c-oauth to be written (spec.secret.source is Existing)',
    });
  });

  it('refuses a short secret written by someone else', () => {
    const c = compile(
      world(
        [declare.client('ns', 'c', { secret: { source: 'Existing' } })],
        [secret('ns', 'c-oauth', { client_secret: 'hunter2' })],
      ),
      keys,
      1,
    );
    expect(c.snapshot.clients.size).toBe(0);
    const cond = resolutionOf(c, 'OAuthClient/ns/c').conditions.find((x) => x.type === 'SecretReady');
    expect(cond?.reason).toBe('SecretTooWeak');
    expect(cond?.message).not.toContain('hunter2');
  });

  it('reads the secret under the configured key name', () => {
    const c = compile(
      world(
        [declare.client('ns', 'c', { secret: { name: 'creds', keys: { clientSecret: 'password' } } })],
        [secret('ns', 'creds', { password: GOOD_SECRET })],
      ),
      keys,
      1,
    );
    expect(c.snapshot.clients.get('c.ns')?.secretDigests).toEqual([digestSecret(GOOD_SECRET)]);
  });
});

describe('organizations', () => {
  it('gives a listed client the organization with its extra roles on top of its own permissions', () => {
    const objects = [
      payments({ allowedNamespaces: { matchLabels: { team: 'platform' } } }),
      declare.role('payments', 'refunder', {
        permissions: [{ resourceServer: { name: 'payments-api' }, scopes: ['payments:refund'] }],
        allowedNamespaces: { matchLabels: { team: 'platform' } },
      }),
      declare.client('platform', 'worker', {
        grants: [
          { resourceServer: { name: 'payments-api', namespace: 'payments' }, scopes: ['payments:read'] },
        ],
        organizationUsage: 'allow',
      }),
      declare.org('platform', 'acme', {
        displayName: 'Acme',
        clients: [{ client: { name: 'worker' }, roles: [{ name: 'refunder', namespace: 'payments' }] }],
      }),
    ];
    const c = compile(
      world(objects, [clientSecret('platform', 'worker')], { platform: { team: 'platform' } }),
      keys,
      1,
    );
    const id = organizationId('platform', 'acme');
    expect(id).toMatch(/^org_[0-9a-f]{16}$/);
    const membership = c.snapshot.clients.get('worker.platform')?.organizations.get(id);
    expect(membership?.organization).toEqual({
      id,
      name: 'acme',
      namespace: 'platform',
      displayName: 'Acme',
      connections: [],
      members: [],
    });
    expect(membership?.permissions.get('https://payments.internal')?.scopes).toEqual([
      'payments:read',
      'payments:refund',
    ]);
    expect(resolutionOf(c, 'Organization/platform/acme')).toMatchObject({ ready: true, organizationId: id });
  });

  it('needs the client to allow an organization in another namespace to list it', () => {
    const objects = [
      declare.client('billing', 'worker', { organizationUsage: 'allow' }),
      declare.org('platform', 'acme', { clients: [{ client: { name: 'worker', namespace: 'billing' } }] }),
    ];
    const c = compile(world(objects, [clientSecret('billing', 'worker')]), keys, 1);
    expect(resolutionOf(c, 'Organization/platform/acme').conditions[0]?.reason).toBe('ReferenceNotAllowed');
    expect(c.snapshot.clients.get('worker.billing')?.organizations.size).toBe(0);
  });
});

describe('unsupported features are reported, not pretended', () => {
  it('marks a client with a grant type that does not work yet as not Ready', () => {
    // Every value the schema accepts works today, so the table is one where the device grant does not yet.
    const grants = {
      ...GRANT_CAPABILITIES,
      'urn:ietf:params:oauth:grant-type:device_code': { supported: false, federated: false },
    };
    const methods = {
      ...AUTH_METHOD_CAPABILITIES,
      none: { ...AUTH_METHOD_CAPABILITIES.none, supported: false },
    };
    const spec = {
      grantTypes: ['client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'] as GrantType[],
      tokenEndpointAuthMethod: 'none' as const,
    };
    expect(capabilityProblems(spec, { grants, methods })).toEqual([
      {
        reason: 'GrantTypeNotSupported',
        message: 'grant type urn:ietf:params:oauth:grant-type:device_code is not supported yet',
      },
      { reason: 'AuthMethodNotSupported', message: 'tokenEndpointAuthMethod none is not supported yet' },
    ]);
    expect(capabilityProblems(spec)).toEqual([]);
  });

  it('reports an unchecked Connection as Unknown rather than Ready', () => {
    const c = compile(
      world([declare.connection('ns', 'sso', { type: 'oidc', issuer: 'https://sso.example.com' })]),
      keys,
      1,
    );
    expect(resolutionOf(c, 'Connection/ns/sso').conditions[0]).toMatchObject({
      status: 'Unknown',
      reason: 'DiscoveryNotChecked',
    });
  });

  it('says of an unchecked Connection what the caller says about checking it, by type', () => {
    const c = compile(
      {
        ...world([
          declare.connection('ns', 'sso', { type: 'oidc', issuer: 'https://sso.example.com' }),
          declare.connection('ns', 'cluster', { type: 'kubernetes' }),
        ]),
        uncheckedIssuer: { oidc: 'start dev mode with --check-connections', kubernetes: 'needs a cluster' },
      },
      keys,
      1,
    );
    expect(resolutionOf(c, 'Connection/ns/sso').conditions[0]).toMatchObject({
      status: 'Unknown',
      reason: 'DiscoveryNotChecked',
      message: 'start dev mode with --check-connections',
    });
    expect(resolutionOf(c, 'Connection/ns/cluster').conditions[0]?.message).toBe('needs a cluster');
  });

  it('rejects a token lifetime outside 1s..24h', () => {
    const c = compile(world([payments({ accessToken: { lifetime: '48h' } })]), keys, 1);
    expect(c.snapshot.apis.size).toBe(0);
    expect(resolutionOf(c, 'ResourceServer/payments/payments-api').conditions[0]?.reason).toBe(
      'InvalidLifetime',
    );
  });
});

describe('what the operator adds', () => {
  const sso = declare.connection('ns', 'sso', { type: 'oidc', issuer: 'https://sso.example.com' });

  it('makes a Connection Ready once its issuer was verified, with what was found', () => {
    const inputs = {
      ...world([sso]),
      connectionChecks: new Map([
        [
          'ns/sso',
          {
            ok: true as const,
            issuer: 'https://sso.example.com',
            jwksUri: 'https://sso.example.com/keys',
            keys: 2,
            jwks: [],
          },
        ],
      ]),
    };
    const r = resolutionOf(compile(inputs, keys, 1), 'Connection/ns/sso');
    expect(r).toMatchObject({
      ready: true,
      issuer: 'https://sso.example.com',
      jwksUri: 'https://sso.example.com/keys',
    });
    expect(r.conditions[1]).toMatchObject({
      type: 'IssuerVerified',
      status: 'True',
      reason: 'IssuerVerified',
    });
  });

  it('reports an unreachable issuer as Ready False with the reason found', () => {
    const inputs = {
      ...world([sso]),
      connectionChecks: new Map([['ns/sso', { ok: false as const, message: 'connect ECONNREFUSED' }]]),
    };
    expect(resolutionOf(compile(inputs, keys, 1), 'Connection/ns/sso').conditions[0]).toMatchObject({
      status: 'False',
      reason: 'IssuerUnreachable',
      message: 'connect ECONNREFUSED',
    });
  });

  it('reports an object whose spec the schema refuses', () => {
    const inputs = {
      ...world([]),
      invalid: [
        {
          kind: 'Role' as const,
          metadata: { namespace: 'ns', name: 'r', generation: 3 },
          message: 'spec.permissions: too small',
        },
      ],
    };
    expect(resolutionOf(compile(inputs, keys, 1), 'Role/ns/r')).toMatchObject({
      ready: false,
      generation: 3,
      conditions: [
        { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'spec.permissions: too small' },
      ],
    });
  });
});

describe('ownership of generated Secrets', () => {
  it('does not use a Secret of the generated name that another object owns', () => {
    const client = declare.client('ns', 'c', {});
    client.metadata.uid = 'client-uid';
    const foreign = {
      ...secret('ns', 'c-oauth', { client_secret: GOOD_SECRET }),
      controllerUid: 'someone-else',
    };
    const c = compile(world([client], [foreign]), keys, 1);
    expect(c.snapshot.clients.size).toBe(0);
    expect(resolutionOf(c, 'OAuthClient/ns/c').conditions.find((x) => x.type === 'SecretReady')?.reason).toBe(
      'SecretNotOwned',
    );
    const owned = { ...foreign, controllerUid: 'client-uid' };
    expect(compile(world([client], [owned]), keys, 1).snapshot.clients.size).toBe(1);
  });
});

describe('clients that authenticate with a JWT assertion (RFC 7523 section 2.2)', () => {
  const edKey = () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    return { ...publicKey.export({ format: 'jwk' }), kid: 'ed-1' } as Record<string, unknown>;
  };

  it('serves a private_key_jwt client with inline jwks without any Secret, and parses its keys', () => {
    const jwk = edKey();
    const c = compile(
      world([
        declare.client('ns', 'signer', { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [jwk] } }),
      ]),
      keys,
      1,
    );
    const client = c.snapshot.clients.get('signer.ns');
    expect(client?.secretDigests).toEqual([]);
    expect(client?.assertionKeys?.kind).toBe('jwks');
    const parsed = client?.assertionKeys?.kind === 'jwks' ? client.assertionKeys.keys : [];
    expect(parsed.map((k) => ({ kid: k.kid, kty: k.kty, crv: k.crv }))).toEqual([
      { kid: 'ed-1', kty: 'OKP', crv: 'Ed25519' },
    ]);
    expect(parsed[0]?.key.export({ format: 'jwk' })).toEqual({ kty: 'OKP', crv: 'Ed25519', x: jwk.x });
    const r = resolutionOf(c, 'OAuthClient/ns/signer');
    expect(r.ready).toBe(true);
    expect(r.conditions.map((x) => x.type)).toEqual(['Ready', 'ReferencesResolved']);
    expect(r).not.toHaveProperty('secretName');
    expect(r.clientId).toBe('signer.ns');
  });

  it('serves a private_key_jwt client with a jwksUri, carrying the URI for the token endpoint', () => {
    const c = compile(
      world([
        declare.client('ns', 'signer', {
          tokenEndpointAuthMethod: 'private_key_jwt',
          jwksUri: 'https://signer.example/.well-known/jwks.json',
        }),
      ]),
      keys,
      1,
    );
    expect(c.snapshot.clients.get('signer.ns')?.assertionKeys).toEqual({
      kind: 'jwksUri',
      uri: 'https://signer.example/.well-known/jwks.json',
    });
    expect(resolutionOf(c, 'OAuthClient/ns/signer').ready).toBe(true);
  });

  it.each([
    [
      'an RSA key below 2048 bits',
      () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }),
      'spec.jwks.keys[1]: cannot verify assertions: an RSA key needs at least 2048 bits, this one has 1024',
    ],
    [
      'an EC point that is not on its curve',
      () => ({ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }),
      /^spec\.jwks\.keys\[1\]: cannot verify assertions: not a valid EC public key \(.+\)$/,
    ],
    [
      'an encryption key',
      () => ({ ...edKey(), use: 'enc' }),
      'spec.jwks.keys[1]: cannot verify assertions: use is not sig',
    ],
  ])('does not serve a private_key_jwt client whose jwks holds %s, and says which key', (_, bad, message) => {
    const decl = declare.client('ns', 'signer', {
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [edKey()] },
    });
    // Set after parsing: the schema would already refuse some of these, an older CRD might not.
    if (decl.kind === 'OAuthClient') decl.spec.jwks?.keys.push(bad() as never);
    const c = compile(world([decl]), keys, 1);
    expect(c.snapshot.clients.size).toBe(0);
    const ready = resolutionOf(c, 'OAuthClient/ns/signer').conditions[0];
    expect(ready).toMatchObject({ type: 'Ready', status: 'False', reason: 'InvalidClientKeys' });
    expect(ready?.message).toMatch(message);
  });

  it('keeps the secret of a client_secret_jwt client as an HMAC key, and no digest of it', () => {
    const c = compile(
      world(
        [declare.client('ns', 'hmac', { tokenEndpointAuthMethod: 'client_secret_jwt' })],
        [clientSecret('ns', 'hmac')],
      ),
      keys,
      1,
    );
    const client = c.snapshot.clients.get('hmac.ns');
    expect(client?.secretDigests).toEqual([]);
    const hmac = client?.assertionKeys?.kind === 'secret' ? client.assertionKeys.keys : [];
    expect(hmac.map((k) => k.export().toString('utf8'))).toEqual([GOOD_SECRET]);
    const r = resolutionOf(c, 'OAuthClient/ns/hmac');
    expect(r.ready).toBe(true);
    expect(r.secretName).toBe('hmac-oauth');
    expect(r.conditions.find((x) => x.type === 'SecretReady')?.reason).toBe('SecretAvailable');
  });

  it('waits for the Secret of a client_secret_jwt client like for any shared secret', () => {
    const c = compile(
      world([declare.client('ns', 'hmac', { tokenEndpointAuthMethod: 'client_secret_jwt' })]),
      keys,
      1,
    );
    expect(c.snapshot.clients.size).toBe(0);
    expect(resolutionOf(c, 'OAuthClient/ns/hmac').conditions[0]).toMatchObject({ reason: 'SecretMissing' });
  });

  it('no longer reports tokenEndpointAuthMethod none (a public client of people sign-in) as not supported', () => {
    const c = compile(
      world(
        [
          declare.client('ns', 'spa', {
            appType: 'spa',
            grantTypes: ['authorization_code'],
            tokenEndpointAuthMethod: 'none',
            redirectUris: ['https://spa.example.com/cb'],
          }),
        ],
        [],
      ),
      keys,
      1,
    );
    const reasons = resolutionOf(c, 'OAuthClient/ns/spa').conditions.map((x) => x.reason);
    expect(reasons).not.toContain('AuthMethodNotSupported');
    expect(reasons).not.toContain('GrantTypeNotSupported');
  });
});

describe('the OAuthClient schema for JWT assertions, as the CRD states it', () => {
  const crdRules = () => {
    const crd = generateCrds().find((g) => g.crd.spec.names.kind === 'OAuthClient')?.crd;
    const spec = crd?.spec.versions[0]?.schema.openAPIV3Schema.properties?.spec;
    const item = spec?.properties?.jwks?.properties?.keys?.items;
    return { spec: spec?.['x-kubernetes-validations'] ?? [], item: item?.['x-kubernetes-validations'] ?? [] };
  };
  const problems = (spec: unknown) =>
    (oauthClientSpec.safeParse(spec).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
  const ED = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };

  it.each(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])('refuses the private member %s in a jwks key', (member) => {
    const message = `${member} is private key material: jwks holds public keys only; keep the private key with the workload`;
    expect(
      problems({
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [{ ...ED, [member]: 'c2VjcmV0' }] },
      }),
    ).toEqual([`jwks.keys.0.${member}: ${message}`]);
    expect(crdRules().item).toContainEqual({
      rule: `!has(self.${member})`,
      message,
      fieldPath: `.${member}`,
    });
  });

  it.each<[string, object, string[]]>([
    [
      'private_key_jwt without keys',
      { tokenEndpointAuthMethod: 'private_key_jwt' },
      [
        'jwks: private_key_jwt needs the public keys of the client: set exactly one of jwks and jwksUri, or federatedIdentities',
      ],
    ],
    [
      'private_key_jwt with both jwks and jwksUri',
      { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [ED] }, jwksUri: 'https://a.example/jwks' },
      [
        'jwks: private_key_jwt needs the public keys of the client: set exactly one of jwks and jwksUri, or federatedIdentities',
      ],
    ],
    [
      'jwks on a client_secret_basic client',
      { jwks: { keys: [ED] } },
      ['tokenEndpointAuthMethod: jwks and jwksUri are only for tokenEndpointAuthMethod private_key_jwt'],
    ],
    [
      'jwksUri on a client_secret_jwt client',
      { tokenEndpointAuthMethod: 'client_secret_jwt', jwksUri: 'https://a.example/jwks' },
      ['tokenEndpointAuthMethod: jwks and jwksUri are only for tokenEndpointAuthMethod private_key_jwt'],
    ],
    [
      'federatedIdentities on a client_secret_basic client',
      { federatedIdentities: [{ connection: { name: 'cluster' }, subject: 'system:serviceaccount:a:b' }] },
      ['tokenEndpointAuthMethod: federatedIdentities are only for tokenEndpointAuthMethod private_key_jwt'],
    ],
    [
      'an RSA key without its exponent',
      { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'RSA', n: 'AQAB' }] } },
      ['jwks.keys.0.n: an RSA key needs n and e'],
    ],
  ])('refuses %s, with the rule the CRD carries', (_, spec, expected) => {
    expect(problems(spec)).toEqual(expected);
    const message = expected[0]?.split(': ').slice(1).join(': ');
    const rules = [...crdRules().spec, ...crdRules().item];
    expect(rules.map((r) => r.message)).toContain(message);
  });

  it.each([
    ['https', 'https://keys.example/jwks.json', true],
    ['http to 127.0.0.1 with a port', 'http://127.0.0.1:8443/jwks', true],
    ['http to localhost', 'http://localhost/jwks', true],
    ['http to [::1]', 'http://[::1]:9/jwks', true],
    ['http to another host', 'http://keys.example/jwks.json', false],
    ['http to a host that starts like localhost', 'http://localhost.evil.example/jwks', false],
    ['credentials in the URL', 'https://user:pw@keys.example/jwks', false],
    ['a fragment', 'https://keys.example/jwks#k', false],
    ['another scheme', 'file:///etc/jwks.json', false],
  ])('takes a jwksUri with %s: %s', (_, jwksUri, ok) => {
    expect(oauthClientSpec.safeParse({ tokenEndpointAuthMethod: 'private_key_jwt', jwksUri }).success).toBe(
      ok,
    );
  });

  it('accepts the two methods with what they need', () => {
    expect(problems({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [ED] } })).toEqual([]);
    expect(problems({ tokenEndpointAuthMethod: 'client_secret_jwt' })).toEqual([]);
  });
});

describe('federated identities', () => {
  const cluster = declare.connection('platform', 'cluster', {
    type: 'kubernetes',
    allowedNamespaces: { matchLabels: { federation: 'on' } },
  });
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  const checks = new Map([
    [
      'platform/cluster',
      {
        ok: true as const,
        issuer: 'https://kubernetes.default.svc.cluster.local',
        jwksUri: 'https://10.0.0.1/openid/v1/jwks',
        keys: 1,
        jwks: [{ ...jwk, kid: 'sa-1' }],
      },
    ],
  ]);
  const worker = (ns: string) =>
    declare.client(ns, 'worker', {
      tokenEndpointAuthMethod: 'private_key_jwt',
      federatedIdentities: [
        {
          connection: { name: 'cluster', namespace: 'platform' },
          subject: `system:serviceaccount:${ns}:worker`,
        },
      ],
    });

  it('compiles a client with federated identities only: no Secret, the Connection keys indexed by issuer', () => {
    const c = compile(
      { ...world([cluster, worker('apps')], [], { apps: { federation: 'on' } }), connectionChecks: checks },
      keys,
      1,
    );
    const client = c.snapshot.clients.get('worker.apps');
    expect(client?.federatedIdentities).toEqual([
      { connection: 'platform/cluster', subject: 'system:serviceaccount:apps:worker' },
    ]);
    expect(client?.assertionKeys).toBe(undefined);
    expect(client?.secretDigests).toEqual([]);
    const r = resolutionOf(c, 'OAuthClient/apps/worker');
    expect(r.ready).toBe(true);
    expect(r.secretName).toBe(undefined);
    const byIssuer = c.snapshot.connectionsByIssuer.get('https://kubernetes.default.svc.cluster.local');
    expect(byIssuer?.map((k) => [k.namespace, k.name, k.keys.map((key) => key.kid)])).toEqual([
      ['platform', 'cluster', ['sa-1']],
    ]);
  });

  it('keeps the keys found earlier while the issuer is unreachable, and says so', () => {
    const good = checks.get('platform/cluster') as {
      issuer: string;
      jwksUri: string;
      jwks: Record<string, unknown>[];
    };
    const failing = new Map([
      [
        'platform/cluster',
        {
          ok: false as const,
          message: 'GET /openid/v1/jwks on the API server failed: timeout',
          lastGood: { issuer: good.issuer, jwksUri: good.jwksUri, jwks: good.jwks },
        },
      ],
    ]);
    const c = compile(
      { ...world([cluster, worker('apps')], [], { apps: { federation: 'on' } }), connectionChecks: failing },
      keys,
      1,
    );
    expect(c.snapshot.connectionsByIssuer.get(good.issuer)?.[0]?.keys.map((k) => k.kid)).toEqual(['sa-1']);
    expect(resolutionOf(c, 'Connection/platform/cluster').conditions[0]).toMatchObject({
      status: 'False',
      reason: 'IssuerUnreachable',
      message:
        'GET /openid/v1/jwks on the API server failed: timeout; tokens signed with the keys found earlier are still accepted',
    });
  });

  it('indexes no keys of a Connection whose check has not passed', () => {
    const c = compile(world([cluster, worker('apps')], [], { apps: { federation: 'on' } }), keys, 1);
    expect(c.snapshot.connectionsByIssuer.size).toBe(0);
    expect(c.snapshot.connections.get('platform/cluster')?.keys).toEqual([]);
  });

  it('honours the Connection allowedNamespaces', () => {
    const c = compile({ ...world([cluster, worker('other')]), connectionChecks: checks }, keys, 1);
    expect(c.snapshot.clients.has('worker.other')).toBe(false);
    expect(resolutionOf(c, 'OAuthClient/other/worker').conditions[0]).toMatchObject({
      status: 'False',
      reason: 'ReferenceNotAllowed',
      message:
        'spec.federatedIdentities[0]: Connection platform/cluster does not allow references from namespace other (its spec.allowedNamespaces)',
    });
  });

  const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
  const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

  it.each([JWT_BEARER, TOKEN_EXCHANGE])(
    'marks a client listing %s without federatedIdentities as not Ready, and keeps client_credentials working',
    (grantType) => {
      const c = compile(
        world(
          [declare.client('apps', 'worker', { grantTypes: ['client_credentials', grantType] })],
          [clientSecret('apps', 'worker')],
        ),
        keys,
        1,
      );
      expect(resolutionOf(c, 'OAuthClient/apps/worker')).toMatchObject({
        ready: false,
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'GrantNeedsFederatedIdentity',
            message: `spec.grantTypes[1]: ${grantType} needs spec.federatedIdentities (the grant's token is matched against them)`,
          },
          { type: 'ReferencesResolved', status: 'True' },
          { type: 'SecretReady', status: 'True' },
        ],
      });
      expect(c.snapshot.clients.get('worker.apps')?.secretDigests).toEqual([digestSecret(GOOD_SECRET)]);
    },
  );

  it('names each federated grant listed without federatedIdentities at its own index', () => {
    const c = compile(
      world(
        [
          declare.client('apps', 'worker', {
            grantTypes: [TOKEN_EXCHANGE, 'client_credentials', JWT_BEARER],
          }),
        ],
        [clientSecret('apps', 'worker')],
      ),
      keys,
      1,
    );
    expect(resolutionOf(c, 'OAuthClient/apps/worker').conditions[0]?.message).toBe(
      `spec.grantTypes[0]: ${TOKEN_EXCHANGE} needs spec.federatedIdentities (the grant's token is matched against them); ` +
        `spec.grantTypes[2]: ${JWT_BEARER} needs spec.federatedIdentities (the grant's token is matched against them)`,
    );
  });

  it('compiles a client with federatedIdentities and both federated grants as Ready', () => {
    const client = declare.client('apps', 'worker', {
      tokenEndpointAuthMethod: 'private_key_jwt',
      grantTypes: [JWT_BEARER, TOKEN_EXCHANGE],
      federatedIdentities: [
        {
          connection: { name: 'cluster', namespace: 'platform' },
          subject: 'system:serviceaccount:apps:worker',
        },
      ],
    });
    const c = compile(
      { ...world([cluster, client], [], { apps: { federation: 'on' } }), connectionChecks: checks },
      keys,
      1,
    );
    expect(resolutionOf(c, 'OAuthClient/apps/worker').ready).toBe(true);
    expect(c.snapshot.clients.get('worker.apps')?.grantTypes).toEqual(new Set([JWT_BEARER, TOKEN_EXCHANGE]));
  });

  it.each<[string, object, boolean]>([
    ['federatedIdentities alone', {}, true],
    ['federatedIdentities with jwksUri', { jwksUri: 'https://a.example/jwks' }, true],
    ['federatedIdentities on client_secret_basic', { tokenEndpointAuthMethod: 'client_secret_basic' }, false],
  ])('schema: %s', (_, extra, ok) => {
    const spec = {
      tokenEndpointAuthMethod: 'private_key_jwt',
      federatedIdentities: [{ connection: { name: 'cluster' }, subject: 'system:serviceaccount:a:b' }],
      ...extra,
    };
    expect(oauthClientSpec.safeParse(spec).success).toBe(ok);
  });

  it('schema: at most 16 federated identities', () => {
    const identity = { connection: { name: 'cluster' }, subject: 'system:serviceaccount:a:b' };
    const spec = (n: number) => ({
      tokenEndpointAuthMethod: 'private_key_jwt',
      federatedIdentities: Array.from({ length: n }, () => identity),
    });
    expect(oauthClientSpec.safeParse(spec(16)).success).toBe(true);
    expect(oauthClientSpec.safeParse(spec(17)).success).toBe(false);
  });
});
