import { describe, expect, it } from 'vitest';
import { validateManifests, type ValidationProblem } from '../../src/validate/validate.ts';

// `latchkey validate` on the people sign-in objects of issue 12.

function check(files: Record<string, string>): ValidationProblem[] {
  return validateManifests(Object.entries(files).map(([file, text]) => ({ file, text }))).problems;
}

const NAMESPACE = `apiVersion: v1
kind: Namespace
metadata: {name: people}
`;

// The Connection starts at line 1, its spec.type at 4; the client at 15.
const TEST_AND_WEB = `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: test-people, namespace: people}
spec:
  type: test
  testUsers:
    - {username: alice, password: alice-password}
---
apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: api, namespace: people}
spec: {identifier: "https://api.people.internal", scopes: [{name: read}]}
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: web-app, namespace: people}
spec:
  appType: web
  grantTypes: [authorization_code, refresh_token]
  redirectUris: [https://app.example.com/callback]
  connections: [{name: test-people}]
  grants: [{resourceServer: {name: api}, scopes: [read]}]
`;

const github = (secretRef: string) => `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: github, namespace: people}
spec:
  type: github
  clientId: Iv1.abc
  clientSecretRef: ${secretRef}
`;

describe('validateManifests: people sign-in', () => {
  it('warns that the operator refuses a test Connection, and judges its clients as latchkey dev would', () => {
    expect(check({ 'ns.yaml': NAMESPACE, 'people.yaml': TEST_AND_WEB })).toEqual([
      {
        file: 'people.yaml',
        line: 5,
        object: 'Connection/people/test-people',
        field: 'spec.type',
        message:
          'type test is for latchkey dev only: declare an oidc, github or google Connection in a cluster (the passwords of spec.testUsers are in plain text in the manifests); the operator refuses it (TestConnectionNotAllowed)',
        severity: 'warning',
      },
    ]);
  });

  it("expects no Secret document for a Connection's clientSecretRef: someone writes it in the cluster", () => {
    expect(check({ 'ns.yaml': NAMESPACE, 'github.yaml': github('{name: github-oauth}') })).toEqual([]);
  });

  it('reports a Secret document given without the key clientSecretRef names, with the keys it has', () => {
    const secret = `---
apiVersion: v1
kind: Secret
metadata: {name: github-oauth, namespace: people}
stringData: {secret: not-this-key}
`;
    const problems = check({ 'ns.yaml': NAMESPACE, 'github.yaml': github('{name: github-oauth}') + secret });
    expect(problems).toEqual([
      {
        file: 'github.yaml',
        line: 7,
        object: 'Connection/people/github',
        field: 'spec.clientSecretRef.key',
        message:
          'Secret people/github-oauth has no key client_secret (spec.clientSecretRef.key) (its keys: secret); spec.clientSecretRef.key names the key that holds the secret',
        severity: 'error',
      },
    ]);
    expect(JSON.stringify(problems)).not.toContain('not-this-key');
  });

  it('reports only the Secret of an oidc Connection, whose issuer cannot be contacted offline', () => {
    const oidc = `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: corp-sso, namespace: people}
spec:
  type: oidc
  issuer: https://sso.example.com
  clientId: latchkey
  clientSecretRef: {name: corp-sso-oauth}
---
apiVersion: v1
kind: Secret
metadata: {name: corp-sso-oauth, namespace: people}
stringData: {}
`;
    expect(check({ 'ns.yaml': NAMESPACE, 'oidc.yaml': oidc })).toEqual([
      {
        file: 'oidc.yaml',
        line: 8,
        object: 'Connection/people/corp-sso',
        field: 'spec.clientSecretRef.key',
        message:
          'Secret people/corp-sso-oauth has no key client_secret (spec.clientSecretRef.key) (it has no keys); spec.clientSecretRef.key names the key that holds the secret',
        severity: 'error',
      },
    ]);
  });

  it('reports a client offering a kubernetes Connection at its entry of spec.connections', () => {
    const files = {
      'ns.yaml': NAMESPACE,
      'people.yaml': TEST_AND_WEB.replace(
        'type: test\n  testUsers:\n    - {username: alice, password: alice-password}',
        'type: kubernetes',
      ),
    };
    expect(check(files)).toEqual([
      {
        file: 'people.yaml',
        line: 19,
        object: 'OAuthClient/people/web-app',
        field: 'spec.connections[0]',
        message:
          'Connection people/test-people is of type kubernetes: workloads federate through it, people cannot sign in through it',
        severity: 'error',
      },
    ]);
  });
});
