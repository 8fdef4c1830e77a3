import { describe, expect, it } from 'vitest';
import type { GrantType } from '../../src/api/oauth-client.ts';
import { parseManifests } from '../../src/manifests/index.ts';
import { apiAccessOf, noApiProblem, type ApiAccess } from '../../src/validate/api-access.ts';

const NONE = { grants: 0, roles: 0, organizationRoles: 0 };
const CC: GrantType[] = ['client_credentials'];
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';

const ERROR = {
  field: 'spec.grants',
  message:
    'no API granted: with neither spec.grants nor spec.roles (nor roles from an Organization), every token request fails with invalid_target',
  severity: 'error',
};
const WARNING = {
  field: 'spec.grants',
  message:
    'no API granted: its access tokens can name no audience; add spec.grants or spec.roles if it calls an API',
  severity: 'warning',
};

describe('noApiProblem', () => {
  it.each<[string, ApiAccess, object | undefined]>([
    [
      'a client_credentials client with nothing granted can never get a token',
      { grantTypes: CC, ...NONE },
      ERROR,
    ],
    [
      'so can a federated (jwt-bearer) client',
      { grantTypes: [JWT_BEARER, 'client_credentials'], ...NONE },
      ERROR,
    ],
    ['a direct grant is enough', { grantTypes: CC, ...NONE, grants: 1 }, undefined],
    ['a Role is enough', { grantTypes: CC, ...NONE, roles: 1 }, undefined],
    ["an Organization's roles are enough", { grantTypes: CC, ...NONE, organizationRoles: 1 }, undefined],
    // A person may sign in with an ID token and call no API.
    ['a client people sign in with is only warned', { grantTypes: ['authorization_code'], ...NONE }, WARNING],
    ['also beside a machine grant', { grantTypes: [DEVICE, 'client_credentials'], ...NONE }, WARNING],
  ])('%s', (_, access, expected) => {
    expect(noApiProblem(access)).toEqual(expected);
  });
});

describe('apiAccessOf', () => {
  it('counts grants, Roles and the roles Organizations give each client, by its namespace default', () => {
    const { objects } = parseManifests(
      `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: worker, namespace: billing}
spec:
  grants: [{resourceServer: {name: api}, scopes: [read]}]
  roles: [{name: a}, {name: b}]
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: tenant-job, namespace: billing}
spec: {organizationUsage: require}
---
apiVersion: latchkey.dev/v1alpha1
kind: Organization
metadata: {name: acme, namespace: platform}
spec:
  clients:
    - client: {name: tenant-job, namespace: billing}
      roles: [{name: reader, namespace: payments}]
    - client: {name: worker, namespace: billing}
---
apiVersion: latchkey.dev/v1alpha1
kind: Organization
metadata: {name: globex, namespace: billing}
spec:
  clients:
    - client: {name: tenant-job}
      roles: [{name: reader, namespace: payments}, {name: writer, namespace: payments}]
`,
      'clients.yaml',
    );
    const access = apiAccessOf(objects);
    expect([...access.entries()].map(([c, a]) => [c.metadata.name, a])).toEqual([
      ['worker', { grantTypes: ['client_credentials'], grants: 1, roles: 2, organizationRoles: 0 }],
      ['tenant-job', { grantTypes: ['client_credentials'], grants: 0, roles: 0, organizationRoles: 3 }],
    ]);
  });
});
