import { describe, expect, it } from 'vitest';
import { resourceName, resourcePath, withQuery } from '../../src/kube/paths.ts';
import { CORE_NAMESPACES, CORE_SECRETS, LEASES } from '../../src/kube/types.ts';

const OAUTH_CLIENTS = {
  group: 'latchkey.dev',
  version: 'v1alpha1',
  plural: 'oauthclients',
  namespaced: true,
};

describe('resourcePath', () => {
  it.each([
    [CORE_SECRETS, 'billing', undefined, undefined, '/api/v1/namespaces/billing/secrets'],
    [CORE_SECRETS, undefined, undefined, undefined, '/api/v1/secrets'],
    [CORE_SECRETS, 'billing', 'worker-oauth', undefined, '/api/v1/namespaces/billing/secrets/worker-oauth'],
    [CORE_NAMESPACES, undefined, 'billing', undefined, '/api/v1/namespaces/billing'],
    [LEASES, 'kube-system', 'op', undefined, '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/op'],
    [
      OAUTH_CLIENTS,
      'billing',
      'worker',
      'status',
      '/apis/latchkey.dev/v1alpha1/namespaces/billing/oauthclients/worker/status',
    ],
  ])('%o in %s named %s (%s) is %s', (type, namespace, name, sub, expected) => {
    expect(resourcePath(type, namespace, name, sub)).toBe(expected);
  });

  it('URL-encodes names', () => {
    expect(resourcePath(CORE_SECRETS, 'a', 'x?y=1#z &:@')).toBe(
      '/api/v1/namespaces/a/secrets/x%3Fy%3D1%23z%20%26%3A%40',
    );
  });

  it.each(['', '.', '..', 'x/../../nodes', 'worker/status', '..%2Fnodes', '%2e%2e'])(
    'refuses the name %j',
    (name) => {
      expect(() => resourcePath(CORE_SECRETS, 'a', name)).toThrow(TypeError);
      expect(() => resourcePath(CORE_SECRETS, name, 'x')).toThrow(TypeError);
    },
  );

  it('refuses a namespace for a cluster-scoped type and a missing one for a namespaced object', () => {
    expect(() => resourcePath(CORE_NAMESPACES, 'a', 'b')).toThrow(/not namespaced/);
    expect(() => resourcePath(CORE_SECRETS, undefined, 'b')).toThrow(/namespace is required/);
    expect(() => resourcePath(CORE_SECRETS, 'a', undefined, 'status')).toThrow(/needs an object name/);
  });
});

describe('resourceName and withQuery', () => {
  it('names core resources by plural and others by plural.group', () => {
    expect(resourceName(CORE_SECRETS)).toBe('secrets');
    expect(resourceName(OAUTH_CLIENTS)).toBe('oauthclients.latchkey.dev');
  });

  it('encodes defined query values and drops undefined ones', () => {
    expect(
      withQuery('/api/v1/secrets', { labelSelector: 'a=b,c in (d)', limit: 500, continue: undefined }),
    ).toBe('/api/v1/secrets?labelSelector=a%3Db%2Cc+in+%28d%29&limit=500');
    expect(withQuery('/x', { a: undefined })).toBe('/x');
  });
});
