/**
 * The objects both operator benches declare (`bench:reconcile` through an API server, `bench:scale` in
 * memory): one ResourceServer in the namespace `bench`, and Role i and OAuthClient i, the client granted a
 * scope directly and another through its Role.
 */

import { API_VERSION } from '../../src/api/common.ts';
import type { KubeObject } from '../../src/kube/types.ts';

export const WORKLOAD_NAMESPACE = 'bench';
export const RESOURCE_SERVER = 'bench-api';
export const AUDIENCE = 'https://bench-api.local';
/** The client's direct grant and its Role's permission: a token asking for both proves both resolved. */
export const GRANT_SCOPE = 'bench:read';
export const ROLE_SCOPE = 'bench:write';
/** The scopes the ResourceServer declares; bench:scale's change toggles the last one on a client's grant. */
export const SCOPES = [GRANT_SCOPE, ROLE_SCOPE, 'bench:admin', 'bench:audit'] as const;

export const roleName = (i: number) => `role-${String(i).padStart(5, '0')}`;
export const clientName = (i: number) => `client-${String(i).padStart(5, '0')}`;

/** The one ResourceServer every client and Role of the bench worlds refers to. */
export function resourceServerObject(): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: 'ResourceServer',
    metadata: { name: RESOURCE_SERVER, namespace: WORKLOAD_NAMESPACE },
    spec: {
      identifier: AUDIENCE,
      scopes: SCOPES.map((name) => ({ name })),
      accessToken: { lifetime: '5m', signingAlgorithm: 'RS256' },
    },
  };
}

export function roleObject(name: string): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: 'Role',
    metadata: { name, namespace: WORKLOAD_NAMESPACE },
    spec: { permissions: [{ resourceServer: { name: RESOURCE_SERVER }, scopes: [ROLE_SCOPE] }] },
  };
}

export function clientObject(name: string, role: string): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: 'OAuthClient',
    metadata: { name, namespace: WORKLOAD_NAMESPACE },
    spec: {
      grants: [{ resourceServer: { name: RESOURCE_SERVER }, scopes: [GRANT_SCOPE] }],
      roles: [{ name: role }],
    },
  };
}
