import { describe, expect, it } from 'vitest';
import { validateManifests, type ValidationProblem } from '../../src/validate/validate.ts';

// Issue 9: `latchkey validate` reports the tenancy rules as the cluster applies them.

function check(files: Record<string, string>): ValidationProblem[] {
  return validateManifests(Object.entries(files).map(([file, text]) => ({ file, text }))).problems;
}

const NAMESPACES = `apiVersion: v1
kind: Namespace
metadata: {name: partner, labels: {partner: "true"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: outsider, labels: {team: outsider}}
`;

const SHARED = `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: b-shared, namespace: b}
spec:
  identifier: https://b-shared.internal
  scopes: [{name: admin}]
  allowedNamespaces: {matchLabels: {partner: "true"}}
---
apiVersion: latchkey.dev/v1alpha1
kind: Role
metadata: {name: relay, namespace: partner}
spec:
  permissions:
    - resourceServer: {name: b-shared, namespace: b}
      scopes: [admin]
  allowedNamespaces: {}
`;

describe('latchkey validate: tenancy', () => {
  it("reports a Role that passes an API on to a namespace the API's allowedNamespaces does not select", () => {
    const outsider = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: thief, namespace: outsider}
spec:
  roles: [{name: relay, namespace: partner}]
`;
    expect(check({ 'ns.yaml': NAMESPACES, 'shared.yaml': SHARED, 'outsider.yaml': outsider })).toEqual([
      {
        file: 'outsider.yaml',
        line: 5,
        object: 'OAuthClient/outsider/thief',
        field: 'spec.roles[0]',
        message:
          'ResourceServer b/b-shared does not allow references from namespace outsider (its spec.allowedNamespaces), reached through Role partner/relay',
        severity: 'error',
      },
    ]);
  });

  it("reports a custom client id of another namespace's default shape at spec.clientId", () => {
    const squatter = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: squatter, namespace: team-a}
spec:
  clientId: payments.team-b
  grants: [{resourceServer: {name: api}, scopes: [read]}]
---
apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: api, namespace: team-a}
spec: {identifier: "https://api.team-a.internal", scopes: [{name: read}]}
`;
    expect(check({ 'a.yaml': squatter })).toEqual([
      {
        file: 'a.yaml',
        line: 5,
        object: 'OAuthClient/team-a/squatter',
        field: 'spec.clientId',
        message:
          'payments.team-b has the shape <name>.<namespace> of the default client ids of namespace team-b (a custom client id may end in .team-a, or have another shape)',
        severity: 'error',
      },
    ]);
  });
});
