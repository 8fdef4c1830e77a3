import { describe, expect, it } from 'vitest';
import { validateManifests, parsePath, type ValidationProblem } from '../../src/validate/validate.ts';

/** Files in the order given; line numbers in the expectations count from each text's first line. */
function check(files: Record<string, string>): ValidationProblem[] {
  return validateManifests(Object.entries(files).map(([file, text]) => ({ file, text }))).problems;
}

const NAMESPACES = `apiVersion: v1
kind: Namespace
metadata: {name: payments, labels: {team: payments}}
---
apiVersion: v1
kind: Namespace
metadata: {name: billing, labels: {team: billing}}
`;

// Lines: the ResourceServer starts at 1, spec.scopes at 7, the Role at 11, its permissions at 16.
const PAYMENTS = `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata:
  name: payments-api
  namespace: payments
spec:
  identifier: https://payments.internal
  scopes: [{name: "payments:read"}, {name: "payments:write"}]
  allowedNamespaces: {matchLabels: {team: billing}}
---
apiVersion: latchkey.dev/v1alpha1
kind: Role
metadata:
  name: payments-writer
  namespace: payments
spec:
  permissions:
    - resourceServer: {name: payments-api}
      scopes: ["payments:read", "payments:write"]
  allowedNamespaces: {matchLabels: {team: billing}}
`;

const error = (p: Omit<ValidationProblem, 'severity'>): ValidationProblem => ({ ...p, severity: 'error' });

/** A ResourceServer `api` in each namespace, so that a client can be granted something: `GRANT`. */
const apisIn = (...namespaces: string[]): string =>
  namespaces
    .map(
      (ns) => `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: api, namespace: ${ns}}
spec: {identifier: "https://api.${ns}.internal", scopes: [{name: read}]}
`,
    )
    .join('---\n');
const GRANT = 'grants: [{resourceServer: {name: api}, scopes: [read]}]';

describe('validateManifests: references resolved by the store, across files', () => {
  it('finds nothing wrong when every reference resolves and every namespace is allowed', () => {
    const billing = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: billing-worker, namespace: billing}
spec:
  grants:
    - resourceServer: {name: payments-api, namespace: payments}
      scopes: ["payments:read"]
  roles: [{name: payments-writer, namespace: payments}]
`;
    expect(check({ 'ns.yaml': NAMESPACES, 'payments.yaml': PAYMENTS, 'billing.yaml': billing })).toEqual([]);
  });

  it('reports a dangling ResourceServer, Role, OAuthClient and Connection reference on its own line', () => {
    const billing = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: billing-worker, namespace: billing}
spec:
  grants:
    - resourceServer: {name: payments-api, namespace: payments}
      scopes: ["payments:read"]
    - resourceServer: {name: ledger-api}
      scopes: ["ledger:read"]
  roles:
    - {name: payments-writer, namespace: payments}
    - {name: payments-reader, namespace: payments}
  allowedNamespaces: {}
---
apiVersion: latchkey.dev/v1alpha1
kind: Organization
metadata: {name: acme, namespace: billing}
spec:
  clients:
    - client: {name: billing-worker}
    - client: {name: ghost-worker}
  connections: [{name: corp-sso}]
`;
    expect(check({ 'ns.yaml': NAMESPACES, 'payments.yaml': PAYMENTS, 'billing.yaml': billing })).toEqual([
      error({
        file: 'billing.yaml',
        line: 8,
        object: 'OAuthClient/billing/billing-worker',
        field: 'spec.grants[1]',
        message: 'ResourceServer billing/ledger-api not found or not ready',
      }),
      error({
        file: 'billing.yaml',
        line: 12,
        object: 'OAuthClient/billing/billing-worker',
        field: 'spec.roles[1]',
        message: 'Role payments/payments-reader not found',
      }),
      error({
        file: 'billing.yaml',
        line: 21,
        object: 'Organization/billing/acme',
        field: 'spec.clients[1]',
        message: 'OAuthClient billing/ghost-worker not found or not ready',
      }),
      error({
        file: 'billing.yaml',
        line: 22,
        object: 'Organization/billing/acme',
        field: 'spec.connections[0]',
        message: 'Connection billing/corp-sso not found',
      }),
    ]);
  });

  it('says where a missing object is declared when the reference names another namespace, or a near name', () => {
    const billing = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: billing-worker, namespace: billing}
spec:
  grants:
    - resourceServer: {name: payments-api}
      scopes: ["payments:read"]
  roles:
    - {name: payments-writr, namespace: payments}
`;
    expect(check({ 'ns.yaml': NAMESPACES, 'payments.yaml': PAYMENTS, 'billing.yaml': billing })).toEqual([
      error({
        file: 'billing.yaml',
        line: 6,
        object: 'OAuthClient/billing/billing-worker',
        field: 'spec.grants[0]',
        message:
          'ResourceServer billing/payments-api not found or not ready; did you mean namespace payments (payments.yaml:1)?',
      }),
      error({
        file: 'billing.yaml',
        line: 9,
        object: 'OAuthClient/billing/billing-worker',
        field: 'spec.roles[0]',
        message: 'Role payments/payments-writr not found; did you mean payments-writer (payments.yaml:11)?',
      }),
    ]);
  });

  it('reports scopes the ResourceServer does not declare', () => {
    const role = `apiVersion: latchkey.dev/v1alpha1
kind: Role
metadata: {name: auditor, namespace: payments}
spec:
  permissions:
    - resourceServer: {name: payments-api}
      scopes: ["payments:read", "payments:audit", "payments:export"]
`;
    expect(check({ 'payments.yaml': PAYMENTS, 'auditor.yaml': role })).toEqual([
      error({
        file: 'auditor.yaml',
        line: 6,
        object: 'Role/payments/auditor',
        field: 'spec.permissions[0]',
        message:
          'ResourceServer payments/payments-api does not declare scope payments:audit, payments:export',
      }),
    ]);
  });
});

describe('validateManifests: cross-namespace opt-in (allowedNamespaces)', () => {
  const reporting = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: reporting-job, namespace: reporting}
spec:
  grants:
    - resourceServer: {name: payments-api, namespace: payments}
      scopes: ["payments:read"]
`;

  it('is an error when the Namespace document given has labels the target does not select', () => {
    const ns = `apiVersion: v1
kind: Namespace
metadata: {name: reporting, labels: {team: reporting}}
`;
    expect(check({ 'ns.yaml': ns, 'payments.yaml': PAYMENTS, 'reporting.yaml': reporting })).toEqual([
      error({
        file: 'reporting.yaml',
        line: 6,
        object: 'OAuthClient/reporting/reporting-job',
        field: 'spec.grants[0]',
        message:
          'ResourceServer payments/payments-api does not allow references from namespace reporting (its spec.allowedNamespaces)',
      }),
    ]);
  });

  it('is a warning when no Namespace document gives the referring namespace its labels', () => {
    expect(check({ 'payments.yaml': PAYMENTS, 'reporting.yaml': reporting })).toEqual([
      {
        file: 'reporting.yaml',
        line: 6,
        object: 'OAuthClient/reporting/reporting-job',
        field: 'spec.grants[0]',
        message:
          'ResourceServer payments/payments-api does not allow references from namespace reporting (its spec.allowedNamespaces); the labels of namespace reporting are unknown (no Namespace document among the given files), so the cluster may allow it',
        severity: 'warning',
      },
    ]);
  });

  it('is an error, labels or not, when the target allows no other namespace or names others', () => {
    const closed = PAYMENTS.replace(
      'allowedNamespaces: {matchLabels: {team: billing}}',
      'allowedNamespaces: {matchLabels: {kubernetes.io/metadata.name: billing}}',
    ).replace('  allowedNamespaces: {matchLabels: {team: billing}}\n', '');
    expect(check({ 'payments.yaml': closed, 'reporting.yaml': reporting })).toEqual([
      error({
        file: 'reporting.yaml',
        line: 6,
        object: 'OAuthClient/reporting/reporting-job',
        field: 'spec.grants[0]',
        message:
          'ResourceServer payments/payments-api does not allow references from namespace reporting (its spec.allowedNamespaces)',
      }),
    ]);
    const roles = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: reporting-job, namespace: reporting}
spec:
  roles: [{name: payments-writer, namespace: payments}]
`;
    expect(check({ 'payments.yaml': closed, 'reporting.yaml': roles })).toEqual([
      error({
        file: 'reporting.yaml',
        line: 5,
        object: 'OAuthClient/reporting/reporting-job',
        field: 'spec.roles[0]',
        message:
          'Role payments/payments-writer does not allow references from namespace reporting (its spec.allowedNamespaces)',
      }),
    ]);
  });

  it('needs no Namespace document when the target selects namespaces by name', () => {
    const open = PAYMENTS.replace(
      'allowedNamespaces: {matchLabels: {team: billing}}',
      'allowedNamespaces: {matchLabels: {kubernetes.io/metadata.name: reporting}}',
    );
    expect(check({ 'payments.yaml': open, 'reporting.yaml': reporting })).toEqual([]);
  });
});

describe('validateManifests: conflicts', () => {
  it('gives an identifier to the first ResourceServer and says where it is', () => {
    const copy = `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: payments-api-v2, namespace: payments}
spec:
  scopes: [{name: "payments:read"}]
  identifier: https://payments.internal
`;
    expect(check({ 'payments.yaml': PAYMENTS, 'v2.yaml': copy })).toEqual([
      error({
        file: 'v2.yaml',
        line: 6,
        object: 'ResourceServer/payments/payments-api-v2',
        field: 'spec.identifier',
        message:
          'identifier https://payments.internal is already used by ResourceServer payments/payments-api (payments.yaml:1)',
      }),
    ]);
  });

  it('points a client id conflict at spec.clientId, or at the name that made the default id', () => {
    const clients = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: worker, namespace: billing}
spec: {clientId: shared-id, ${GRANT}}
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: worker-copy, namespace: billing}
spec: {clientId: shared-id, ${GRANT}}
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: squatter, namespace: reporting}
spec: {clientId: job.reporting, ${GRANT}}
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata:
  namespace: reporting
  name: job
spec: {${GRANT}}
`;
    expect(check({ 'clients.yaml': clients, 'apis.yaml': apisIn('billing', 'reporting') })).toEqual([
      error({
        file: 'clients.yaml',
        line: 9,
        object: 'OAuthClient/billing/worker-copy',
        field: 'spec.clientId',
        message: 'client id shared-id is already used by OAuthClient billing/worker (clients.yaml:1)',
      }),
      error({
        file: 'clients.yaml',
        line: 20,
        object: 'OAuthClient/reporting/job',
        field: 'metadata.name',
        message:
          'client id job.reporting is already used by OAuthClient reporting/squatter (clients.yaml:11)',
      }),
    ]);
  });
});

describe('validateManifests: what the files say about Secrets and unsupported features', () => {
  it('expects no Secret document: the operator writes it, or something else does for source: Existing', () => {
    const clients = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: generated, namespace: billing}
spec: {${GRANT}}
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: external, namespace: billing}
spec: {secret: {source: Existing}, ${GRANT}}
`;
    expect(check({ 'clients.yaml': clients, 'apis.yaml': apisIn('billing') })).toEqual([]);
  });

  it('checks a Secret document given for a client as the cluster would', () => {
    const clients = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: generated, namespace: billing}
spec: {${GRANT}}
---
apiVersion: v1
kind: Secret
metadata: {name: generated-oauth, namespace: billing}
stringData: {client_secret: committed-to-git-by-mistake-0123456789}
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: weak, namespace: billing}
spec:
  secret: {source: Existing}
  ${GRANT}
---
apiVersion: v1
kind: Secret
metadata: {name: weak-oauth, namespace: billing}
stringData: {client_secret: hunter2}
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: keyless, namespace: billing}
spec:
  secret: {source: Existing, keys: {clientSecret: secret}}
  ${GRANT}
---
apiVersion: v1
kind: Secret
metadata: {name: keyless-oauth, namespace: billing}
stringData: {client_secret: 0123456789abcdef0123456789abcdef}
`;
    expect(check({ 'clients.yaml': clients, 'apis.yaml': apisIn('billing') })).toEqual([
      error({
        file: 'clients.yaml',
        line: 4,
        object: 'OAuthClient/billing/generated',
        field: 'spec.secret',
        message:
          'Secret billing/generated-oauth belongs to another owner; delete it, or set spec.secret.name to another name, or spec.secret.source to Existing to use it',
      }),
      error({
        file: 'clients.yaml',
        line: 15,
        object: 'OAuthClient/billing/weak',
        field: 'spec.secret',
        message:
          'the secret in Secret billing/weak-oauth key client_secret is shorter than 32 characters; write a longer random value',
      }),
      // The files hold the Secret that will be applied: the key is missing for good (issue 16).
      error({
        file: 'clients.yaml',
        line: 27,
        object: 'OAuthClient/billing/keyless',
        field: 'spec.secret.keys.clientSecret',
        message:
          'Secret billing/keyless-oauth has no key secret (its keys: client_secret); spec.secret.keys.clientSecret names the key that holds the secret',
      }),
    ]);
  });

  it('reports an OAuthClient granted no API, which can never get a token, at spec.grants', () => {
    const clients = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: forgotten, namespace: billing}
spec:
  displayName: Granted nothing
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: emptied, namespace: billing}
spec:
  grants: []
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: tenant-job, namespace: billing}
spec: {organizationUsage: require}
---
apiVersion: latchkey.dev/v1alpha1
kind: Organization
metadata: {name: acme, namespace: billing}
spec:
  clients: [{client: {name: tenant-job}, roles: [{name: reader}]}]
---
apiVersion: latchkey.dev/v1alpha1
kind: Role
metadata: {name: reader, namespace: billing}
spec:
  permissions: [{resourceServer: {name: api}, scopes: [read]}]
`;
    const message =
      'no API granted: with neither spec.grants nor spec.roles (nor roles from an Organization), every token request fails with invalid_target';
    expect(check({ 'clients.yaml': clients, 'apis.yaml': apisIn('billing') })).toEqual([
      error({
        file: 'clients.yaml',
        line: 4,
        object: 'OAuthClient/billing/forgotten',
        field: 'spec.grants',
        message,
      }),
      error({
        file: 'clients.yaml',
        line: 11,
        object: 'OAuthClient/billing/emptied',
        field: 'spec.grants',
        message,
      }),
    ]);
  });

  it('reports what a device-flow CLI lacks, a Connection, beside its broken reference', () => {
    const client = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: cli, namespace: tools}
spec:
  appType: native
  grantTypes: [urn:ietf:params:oauth:grant-type:device_code]
  tokenEndpointAuthMethod: none
  grants:
    - resourceServer: {name: admin-api}
      scopes: [admin]
`;
    expect(check({ 'cli.yaml': client })).toEqual([
      error({
        file: 'cli.yaml',
        line: 4,
        object: 'OAuthClient/tools/cli',
        field: 'spec.connections',
        message:
          'a client that signs people in needs a Connection they sign in through (oidc, github, google, or test with latchkey dev)',
      }),
      error({
        file: 'cli.yaml',
        line: 9,
        object: 'OAuthClient/tools/cli',
        field: 'spec.grants[0]',
        message: 'ResourceServer tools/admin-api not found or not ready',
      }),
    ]);
  });

  it('reports a federated grant on a client without federatedIdentities at its item in spec.grantTypes', () => {
    const client = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: worker, namespace: apps}
spec:
  grantTypes:
    - client_credentials
    - urn:ietf:params:oauth:grant-type:jwt-bearer
  ${GRANT}
`;
    expect(check({ 'worker.yaml': client, 'apis.yaml': apisIn('apps') })).toEqual([
      error({
        file: 'worker.yaml',
        line: 7,
        object: 'OAuthClient/apps/worker',
        field: 'spec.grantTypes[1]',
        message:
          "urn:ietf:params:oauth:grant-type:jwt-bearer needs spec.federatedIdentities (the grant's token is matched against them)",
      }),
    ]);
  });

  it('reports a token lifetime outside what Latchkey accepts at the field', () => {
    const api = `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: slow-api, namespace: payments}
spec:
  identifier: https://slow.internal
  scopes: [{name: read}]
  accessToken:
    signingAlgorithm: ES256
    lifetime: 48h
`;
    expect(check({ 'api.yaml': api })).toEqual([
      error({
        file: 'api.yaml',
        line: 9,
        object: 'ResourceServer/payments/slow-api',
        field: 'spec.accessToken.lifetime',
        message: '48h must be between 1s and 24h',
      }),
    ]);
  });

  it('does not judge an oidc Connection: its issuer is contacted only in the cluster', () => {
    const connection = `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: corp-sso, namespace: platform}
spec: {type: oidc, issuer: https://sso.example.com, clientId: latchkey}
`;
    expect(check({ 'sso.yaml': connection })).toEqual([]);
  });
});

describe('validateManifests: schema problems and duplicates', () => {
  it('reports them as dev mode does, with the reference problems of the objects that were valid', () => {
    const bad = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: typo, namespace: billing}
spec:
  grantType: [client_credentials]
---
apiVersion: latchkey.dev/v1alpha1
kind: Role
metadata: {name: payments-writer, namespace: payments}
spec:
  permissions:
    - resourceServer: {name: payments-api}
      scopes: ["payments:read"]
`;
    expect(check({ 'payments.yaml': PAYMENTS, 'bad.yaml': bad })).toEqual([
      error({
        file: 'bad.yaml',
        line: 5,
        object: 'OAuthClient/billing/typo',
        field: 'spec.grantType',
        message: 'unknown field "grantType"; did you mean "grantTypes"?',
      }),
      error({
        file: 'bad.yaml',
        line: 7,
        object: 'Role/payments/payments-writer',
        field: '',
        message:
          'duplicate: Role/payments/payments-writer is already declared at payments.yaml:11; this one is ignored',
      }),
    ]);
  });

  it('reports a Namespace document declared again in a later file as an error naming both files', () => {
    const relabel = `apiVersion: v1
kind: Namespace
metadata: {name: billing, labels: {team: payments}}
`;
    expect(check({ 'ns.yaml': NAMESPACES, 'z-relabel.yaml': relabel })).toEqual([
      error({
        file: 'z-relabel.yaml',
        line: 1,
        object: 'Namespace/billing',
        field: '',
        message: 'duplicate: Namespace/billing is already declared at ns.yaml:5; this one is ignored',
      }),
    ]);
  });

  it('orders problems by the order of the files given, then by line', () => {
    const a = `apiVersion: latchkey.dev/v1alpha1
kind: Role
metadata: {name: a, namespace: x}
spec:
  permissions:
    - resourceServer: {name: missing}
      scopes: [s]
`;
    const b = `apiVersion: latchkey.dev/v1alpha1
kind: Role
metadata: {name: b, namespace: x}
spec:
  permissions:
    - resourceServer: {name: gone}
      scopes: [s]
---
apiVersion: v1
kind: Namespace
metadata: {name: x, labelz: {}}
`;
    // a.yaml's schema problem (line 11) is found before its reference problem (line 6).
    expect(check({ 'z.yaml': a, 'a.yaml': b }).map((p) => `${p.file}:${p.line}: ${p.field}`)).toEqual([
      'z.yaml:6: spec.permissions[0]',
      'a.yaml:6: spec.permissions[0]',
      'a.yaml:11: metadata.labelz',
    ]);
  });
});

describe('validateManifests: files that are not manifests', () => {
  it('skips a Helm values.yaml and Chart.yaml beside the manifests, says so, and counts only the files checked', () => {
    const values = `replicaCount: 2
clients:
  - name: worker
`;
    const chart = `apiVersion: v2
name: billing
version: 0.1.0
`;
    const reason =
      "not a Kubernetes manifest: no document has kind or metadata at the top level (a Helm values.yaml, a Chart.yaml, another tool's configuration)";
    expect(
      validateManifests([
        { file: 'chart/Chart.yaml', text: chart },
        { file: 'payments.yaml', text: PAYMENTS },
        { file: 'chart/values.yaml', text: values },
      ]),
    ).toEqual({
      files: 1,
      problems: [],
      skipped: [
        { file: 'chart/Chart.yaml', reason },
        { file: 'chart/values.yaml', reason },
      ],
    });
  });
});

describe('parsePath', () => {
  it('splits a dotted path with indexes into the segments lineOfPath walks', () => {
    expect(parsePath('spec.clients[0].roles[12]')).toEqual(['spec', 'clients', 0, 'roles', 12]);
    expect(parsePath('')).toEqual([]);
  });
});

describe('validateManifests: a private_key_jwt client with a jwksUri', () => {
  const signer = (jwksUri: string) => `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: signer, namespace: billing}
spec:
  tokenEndpointAuthMethod: private_key_jwt
  jwksUri: ${jwksUri}
  ${GRANT}
`;

  it('warns about a plain http jwksUri: the operator fetches one only from a host it allows', () => {
    expect(
      check({ 'signer.yaml': signer('http://localhost:8080/jwks'), 'apis.yaml': apisIn('billing') }),
    ).toEqual([
      {
        file: 'signer.yaml',
        line: 6,
        object: 'OAuthClient/billing/signer',
        field: 'spec.jwksUri',
        message:
          'Latchkey will not fetch it: it is not an https URL: plain http is for dev mode, or a host the operator lists in --allow-issuer-hosts',
        severity: 'warning',
      },
    ]);
  });

  it('judges only the scheme offline: which hosts may be reached is the operator’s to say', () => {
    expect(
      check({ 'signer.yaml': signer('https://127.0.0.1:8443/jwks'), 'apis.yaml': apisIn('billing') }),
    ).toEqual([]);
  });
});
