import { beforeAll, describe, expect, it } from 'vitest';
import { HELM_BUILD_TIMEOUT_MS, helmBinary, modeValues, one, render, type Manifest } from './helm.ts';

const KINDS = ['connections', 'oauthclients', 'organizations', 'resourceservers', 'roles'];

/** What the operator does in a namespace it watches, and nothing else. */
const WATCHED_RULES = [
  { apiGroups: ['latchkey.dev'], resources: KINDS, verbs: ['list', 'watch'] },
  { apiGroups: ['latchkey.dev'], resources: KINDS.map((k) => `${k}/status`), verbs: ['patch'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create', 'patch'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
];
const NAMESPACES_RULE = { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] };

/** The operator's own namespace: its Lease, its key Secret and the ConfigMap that records issued keys. */
const OWN_NAMESPACE_RULES = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    resourceNames: ['latchkey-operator'],
    verbs: ['get', 'update'],
  },
  { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
  {
    apiGroups: [''],
    resources: ['secrets'],
    resourceNames: ['latchkey-signing-keys'],
    verbs: ['list', 'watch'],
  },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
  {
    apiGroups: [''],
    resources: ['configmaps'],
    resourceNames: ['latchkey-signing-keys-issued'],
    verbs: ['get', 'patch'],
  },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
];

const SUBJECTS = [{ kind: 'ServiceAccount', name: 'latchkey', namespace: 'latchkey-system' }];

const rbacOf = (objects: Manifest[]) =>
  objects
    .filter((o) => o.apiVersion === 'rbac.authorization.k8s.io/v1')
    .map((o) => ({
      kind: o.kind,
      namespace: o.metadata.namespace,
      name: o.metadata.name,
      ...(o['rules'] ? { rules: o['rules'] } : {}),
      ...(o['roleRef'] ? { roleRef: o['roleRef'], subjects: o['subjects'] } : {}),
    }))
    .sort((a, b) => `${a.kind} ${a.namespace} ${a.name}`.localeCompare(`${b.kind} ${b.namespace} ${b.name}`));

const ownNamespaceObjects = [
  { kind: 'Role', namespace: 'latchkey-system', name: 'latchkey', rules: OWN_NAMESPACE_RULES },
  {
    kind: 'RoleBinding',
    namespace: 'latchkey-system',
    name: 'latchkey',
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'latchkey' },
    subjects: SUBJECTS,
  },
];
const issuerDiscoveryBinding = {
  kind: 'ClusterRoleBinding',
  namespace: undefined,
  name: 'latchkey-latchkey-system-issuer-discovery',
  roleRef: {
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'ClusterRole',
    name: 'system:service-account-issuer-discovery',
  },
  subjects: SUBJECTS,
};
const clusterRoleBinding = {
  kind: 'ClusterRoleBinding',
  namespace: undefined,
  name: 'latchkey-latchkey-system',
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'latchkey-latchkey-system' },
  subjects: SUBJECTS,
};

beforeAll(() => helmBinary(), HELM_BUILD_TIMEOUT_MS);

describe('RBAC in the cluster-wide mode (no watchNamespaces)', () => {
  it('grants exactly what the operator calls: the watched rules everywhere, the rest in its namespace', async () => {
    expect(rbacOf(await render())).toEqual([
      {
        kind: 'ClusterRole',
        namespace: undefined,
        name: 'latchkey-latchkey-system',
        rules: [...WATCHED_RULES, NAMESPACES_RULE],
      },
      clusterRoleBinding,
      issuerDiscoveryBinding,
      ...ownNamespaceObjects,
    ]);
  });
});

describe('RBAC in the namespaced mode (watchNamespaces: [payments, billing])', () => {
  it('grants the watched rules only in the watched namespaces and reads Namespaces cluster-wide', async () => {
    const watched = (namespace: string) => [
      { kind: 'Role', namespace, name: 'latchkey-latchkey-system', rules: WATCHED_RULES },
      {
        kind: 'RoleBinding',
        namespace,
        name: 'latchkey-latchkey-system',
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'latchkey-latchkey-system' },
        subjects: SUBJECTS,
      },
    ];
    expect(rbacOf(await render({ values: [modeValues.namespaced] }))).toEqual([
      {
        kind: 'ClusterRole',
        namespace: undefined,
        name: 'latchkey-latchkey-system',
        rules: [NAMESPACES_RULE],
      },
      clusterRoleBinding,
      issuerDiscoveryBinding,
      watched('billing')[0],
      ...ownNamespaceObjects.slice(0, 1),
      watched('payments')[0],
      watched('billing')[1],
      ...ownNamespaceObjects.slice(1),
      watched('payments')[1],
    ]);
  });
});

describe('RBAC switches', () => {
  it('leaves out the issuer discovery binding when rbac.serviceAccountIssuerDiscovery is false', async () => {
    const objects = await render({ set: { 'rbac.serviceAccountIssuerDiscovery': false } });
    expect(objects.filter((o) => o.metadata.name.endsWith('-issuer-discovery'))).toEqual([]);
    expect(one(objects, 'ClusterRoleBinding').metadata.name).toBe('latchkey-latchkey-system');
  });

  it('renders no RBAC when rbac.create is false', async () => {
    const objects = await render({ set: { 'rbac.create': false } });
    expect(rbacOf(objects)).toEqual([]);
  });

  it('binds an existing ServiceAccount when serviceAccount.create is false', async () => {
    const objects = await render({
      set: { 'serviceAccount.create': false, 'serviceAccount.name': 'custom' },
    });
    expect(objects.filter((o) => o.kind === 'ServiceAccount')).toEqual([]);
    expect(one(objects, 'RoleBinding')['subjects']).toEqual([
      { kind: 'ServiceAccount', name: 'custom', namespace: 'latchkey-system' },
    ]);
  });
});
