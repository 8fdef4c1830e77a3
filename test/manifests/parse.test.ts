import { describe, expect, it } from 'vitest';
import { formatProblem, parseManifests, type ManifestProblem } from '../../src/manifests/index.ts';
import type { DeclaredOAuthClient, DeclaredObject } from '../../src/store/objects.ts';

const FILE = 'manifests/team.yaml';

interface BadCase {
  name: string;
  yaml: string;
  problem: Omit<ManifestProblem, 'file' | 'message'>;
  message: string | RegExp;
}

// Line numbers in `problem` count from the first line of `yaml`.
const BAD: BadCase[] = [
  {
    name: 'an unknown field in spec',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata:
  name: billing-worker
  namespace: billing
spec:
  displayName: Billing worker
  grantType: [client_credentials]
`,
    problem: { line: 8, object: 'OAuthClient/billing/billing-worker', field: 'spec.grantType' },
    message: 'unknown field "grantType"; did you mean "grantTypes"?',
  },
  {
    name: 'an unknown key under spec.secret.keys, with the keys it takes',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: billing-worker, namespace: billing}
spec:
  secret:
    source: Existing
    keys: {client_secret: password}
`,
    problem: {
      line: 7,
      object: 'OAuthClient/billing/billing-worker',
      field: 'spec.secret.keys.client_secret',
    },
    message:
      'unknown field "client_secret"; did you mean "clientSecret"? (fields here: clientId, clientSecret, issuer, tokenEndpoint)',
  },
  {
    name: 'an unknown top-level field',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Role
metadata: {name: reader, namespace: payments}
specs:
  permissions: []
spec:
  permissions:
    - resourceServer: {name: payments-api}
      scopes: ["payments:read"]
`,
    problem: { line: 4, object: 'Role/payments/reader', field: 'specs' },
    message:
      'unknown field "specs"; did you mean "spec"? (fields here: apiVersion, kind, metadata, spec, status)',
  },
  {
    name: 'an unknown metadata field',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata:
  name: cluster
  namespace: platform
  label: {team: a}
spec: {type: kubernetes}
`,
    problem: { line: 6, object: 'Connection/platform/cluster', field: 'metadata.label' },
    message: 'unknown field "label"; did you mean "labels"?',
  },
  {
    name: 'a value outside an enum',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: billing-worker, namespace: billing}
spec:
  appType: robot
`,
    problem: { line: 5, object: 'OAuthClient/billing/billing-worker', field: 'spec.appType' },
    message: 'must be one of: non_interactive, native, web, spa (got "robot")',
  },
  {
    name: 'an enum inside a list',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: billing-worker, namespace: billing}
spec:
  grantTypes:
    - client_credentials
    - password
`,
    problem: { line: 7, object: 'OAuthClient/billing/billing-worker', field: 'spec.grantTypes[1]' },
    message: /^must be one of: client_credentials, authorization_code, .* \(got "password"\)$/,
  },
  {
    name: 'a missing required field, pointing at its parent',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: payments-api, namespace: payments}
spec:
  displayName: Payments API
`,
    problem: { line: 4, object: 'ResourceServer/payments/payments-api', field: 'spec.identifier' },
    message: 'missing required field "identifier"',
  },
  {
    name: 'a missing required field in a list item',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Role
metadata: {name: writer, namespace: payments}
spec:
  permissions:
    - resourceServer: {name: payments-api}
      scopes: ["payments:write"]
    - resourceServer: {name: ledger-api}
`,
    problem: { line: 8, object: 'Role/payments/writer', field: 'spec.permissions[1].scopes' },
    message: 'missing required field "scopes"',
  },
  {
    name: 'a missing spec',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Organization
metadata: {name: acme, namespace: platform}
`,
    problem: { line: 1, object: 'Organization/platform/acme', field: 'spec' },
    message: 'missing required field "spec"',
  },
  {
    name: 'a value of the wrong type',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Role
metadata: {name: writer, namespace: payments}
spec:
  permissions:
    - resourceServer: {name: payments-api}
      scopes: "payments:write"
`,
    problem: { line: 7, object: 'Role/payments/writer', field: 'spec.permissions[0].scopes' },
    message: 'must be a list, got "payments:write"',
  },
  {
    name: 'a YAML 1.1 boolean where kubectl sees one',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: corp-sso, namespace: platform}
spec:
  type: kubernetes
  scopes: [openid, on]
`,
    problem: { line: 6, object: 'Connection/platform/corp-sso', field: 'spec.scopes[1]' },
    message: 'must be a string, got true',
  },
  {
    name: 'an object name that is not a DNS-1123 subdomain',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata:
  name: Billing_Worker
  namespace: billing
spec: {}
`,
    problem: { line: 4, object: 'OAuthClient/billing/Billing_Worker', field: 'metadata.name' },
    message: /^must be a DNS-1123 subdomain: .* \(got "Billing_Worker"\)$/,
  },
  {
    name: 'a namespace that is not a DNS-1123 label',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata:
  name: billing-worker
  namespace: team.billing
spec: {}
`,
    problem: { line: 5, object: 'OAuthClient/team.billing/billing-worker', field: 'metadata.namespace' },
    message: /^must be a DNS-1123 label: .* \(got "team.billing"\)$/,
  },
  {
    name: 'a reference name with capitals',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: billing-worker, namespace: billing}
spec:
  roles:
    - name: Payments-Writer
`,
    problem: { line: 6, object: 'OAuthClient/billing/billing-worker', field: 'spec.roles[0].name' },
    message: /^must be a DNS-1123 subdomain/,
  },
  {
    name: 'a missing name',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata:
  namespace: platform
spec: {type: kubernetes}
`,
    problem: { line: 3, object: 'document 1', field: 'metadata.name' },
    message: 'missing required field "name"',
  },
  {
    name: 'duplicate scope names',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: payments-api, namespace: payments}
spec:
  identifier: https://payments.internal
  scopes:
    - name: "payments:read"
    - name: "payments:write"
    - name: "payments:read"
      description: again
`,
    problem: { line: 9, object: 'ResourceServer/payments/payments-api', field: 'spec.scopes[2]' },
    message: 'duplicate entry: name "payments:read" is already listed at spec.scopes[0]',
  },
  {
    name: 'a grant type listed twice (a list-type set)',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: billing-worker, namespace: billing}
spec:
  grantTypes: [client_credentials, refresh_token, client_credentials]
`,
    problem: { line: 5, object: 'OAuthClient/billing/billing-worker', field: 'spec.grantTypes[2]' },
    message: 'duplicate entry: "client_credentials" is already listed at spec.grantTypes[0]',
  },
  {
    name: 'a cross-field rule on a field that is present',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: billing-worker, namespace: billing}
spec:
  appType: native
  grantTypes: [client_credentials]
  tokenEndpointAuthMethod: none
`,
    problem: { line: 7, object: 'OAuthClient/billing/billing-worker', field: 'spec.tokenEndpointAuthMethod' },
    message: 'client_credentials needs a confidential client: tokenEndpointAuthMethod must not be none',
  },
  {
    name: 'a cross-field rule on a missing field',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: corp-sso, namespace: platform}
spec:
  type: oidc
  clientId: latchkey
`,
    problem: { line: 4, object: 'Connection/platform/corp-sso', field: 'spec.issuer' },
    message: 'a Connection of type oidc needs spec.issuer',
  },
  {
    name: 'a Role subject naming both a Connection and a user id',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Role
metadata: {name: payments-admin, namespace: payments}
spec:
  permissions: [{resourceServer: {name: payments-api}, scopes: [payments:read]}]
  subjects:
    - connection: {name: corp-sso, namespace: platform}
      userId: usr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
`,
    problem: { line: 7, object: 'Role/payments/payments-admin', field: 'spec.subjects[0].connection' },
    message: 'a rule names either a connection (optionally with group or emailDomain) or a userId',
  },
  {
    name: 'an Organization member rule with both a group and an email domain',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Organization
metadata: {name: acme, namespace: platform}
spec:
  connections: [{name: corp-sso}]
  members:
    - connection: {name: corp-sso}
      group: acme-staff
      emailDomain: acme.com
`,
    problem: { line: 9, object: 'Organization/platform/acme', field: 'spec.members[0].emailDomain' },
    message: 'a rule has group or emailDomain, not both: write two rules',
  },
  {
    name: 'an email domain written with an @ or in capitals',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Organization
metadata: {name: acme, namespace: platform}
spec:
  members:
    - connection: {name: corp-sso}
      emailDomain: "@Acme.com"
`,
    problem: { line: 7, object: 'Organization/platform/acme', field: 'spec.members[0].emailDomain' },
    message: 'must match the pattern ^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$ (got "@Acme.com")',
  },
  {
    name: 'an issuer that is not a URI',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: corp-sso, namespace: platform}
spec:
  type: oidc
  issuer: sso.example.com
`,
    problem: { line: 6, object: 'Connection/platform/corp-sso', field: 'spec.issuer' },
    message: 'must be an absolute URI such as https://example.com (got "sso.example.com")',
  },
  {
    name: 'a YAML syntax error',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Role
metadata:
  name: reader
 namespace: payments
`,
    problem: { line: 5, object: 'document 1', field: '' },
    message: /^YAML syntax error: /,
  },
  {
    name: 'a key given twice',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: cluster, namespace: platform}
spec:
  type: kubernetes
  type: oidc
`,
    problem: { line: 6, object: 'document 1', field: '' },
    message: 'YAML syntax error: Map keys must be unique',
  },
  {
    name: 'an unknown kind in the latchkey.dev group',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClients
metadata: {name: web, namespace: shop}
spec: {}
`,
    problem: { line: 2, object: 'OAuthClients/shop/web', field: 'kind' },
    message:
      /^unsupported kind "OAuthClients" \(apiVersion "latchkey.dev\/v1alpha1"\); supported here: latchkey.dev\/v1alpha1 /,
  },
  {
    name: 'a Latchkey kind with another apiVersion',
    yaml: `apiVersion: latchkey.dev/v1
kind: Connection
metadata: {name: cluster, namespace: platform}
spec: {type: kubernetes}
`,
    problem: { line: 1, object: 'Connection/platform/cluster', field: 'apiVersion' },
    message: 'must be latchkey.dev/v1alpha1 for kind Connection (got "latchkey.dev/v1")',
  },
  {
    name: 'a document without kind',
    yaml: `apiVersion: latchkey.dev/v1alpha1
metadata: {name: cluster}
spec: {type: kubernetes}
`,
    problem: { line: 1, object: 'document 1', field: 'kind' },
    message: 'missing required field "kind"',
  },
  {
    name: 'a document that is a list',
    yaml: `- apiVersion: v1
  kind: Namespace
`,
    problem: { line: 1, object: 'document 1', field: '' },
    message: 'a manifest must be a mapping with apiVersion, kind and metadata, got a list',
  },
  {
    name: 'a __proto__ key in spec',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: billing-worker, namespace: billing}
spec:
  __proto__: {tokenEndpointAuthMethod: none, polluted: true}
`,
    problem: { line: 5, object: 'OAuthClient/billing/billing-worker', field: 'spec.__proto__' },
    message: 'unknown field "__proto__"',
  },
  {
    name: 'a __proto__ key at the top',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: cluster, namespace: platform}
__proto__: {polluted: true}
spec: {type: kubernetes}
`,
    problem: { line: 4, object: 'Connection/platform/cluster', field: '__proto__' },
    message: 'unknown field "__proto__"; fields here: apiVersion, kind, metadata, spec, status',
  },
  {
    name: 'a __proto__ key in metadata',
    yaml: `apiVersion: v1
kind: Namespace
metadata:
  name: billing
  __proto__: {polluted: true}
`,
    problem: { line: 5, object: 'Namespace/billing', field: 'metadata.__proto__' },
    message: 'unknown field "__proto__"',
  },
  {
    name: 'a __proto__ label',
    yaml: `apiVersion: v1
kind: Namespace
metadata:
  name: billing
  labels:
    __proto__: x
`,
    problem: { line: 6, object: 'Namespace/billing', field: 'metadata.labels.__proto__' },
    message: /^label key "__proto__" must be/,
  },
  {
    name: 'a label key with a space',
    yaml: `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata:
  name: cluster
  namespace: platform
  labels: {team: a, "bad key": b}
spec: {type: kubernetes}
`,
    problem: { line: 6, object: 'Connection/platform/cluster', field: 'metadata.labels["bad key"]' },
    message: /^label key "bad key" must be/,
  },
  {
    name: 'Secret data that is not base64',
    yaml: `apiVersion: v1
kind: Secret
metadata: {name: corp-sso-oauth, namespace: platform}
data:
  client_secret: not base64!
`,
    problem: { line: 5, object: 'Secret/platform/corp-sso-oauth', field: 'data.client_secret' },
    message: 'must be base64 (standard alphabet, padded); use stringData for plain text',
  },
];

describe('parseManifests: bad manifests', () => {
  it.each(BAD.map((c) => [c.name, c] as const))('reports %s', (_, c) => {
    const result = parseManifests(c.yaml, FILE);
    expect(result.problems).toHaveLength(1);
    const [problem] = result.problems;
    expect(problem).toMatchObject({ file: FILE, ...c.problem });
    if (typeof c.message === 'string') expect(problem?.message).toBe(c.message);
    else expect(problem?.message).toMatch(c.message);
    expect([...result.objects, ...result.secrets, ...result.namespaces]).toEqual([]);
  });

  it('never lets a __proto__ key reach a prototype', () => {
    for (const c of BAD.filter((b) => b.yaml.includes('__proto__'))) parseManifests(c.yaml, FILE);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).tokenEndpointAuthMethod).toBeUndefined();
  });

  it('reports every problem of one object, in line order', () => {
    const { problems } = parseManifests(
      `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: billing-worker, namespace: billing, color: red}
spec:
  appType: robot
  organizationUsage: maybe
`,
      FILE,
    );
    expect(problems.map((p) => `${p.line} ${p.field}`)).toEqual([
      '3 metadata.color',
      '5 spec.appType',
      '6 spec.organizationUsage',
    ]);
  });

  it('keeps reading the documents after a bad one', () => {
    const result = parseManifests(
      `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: cluster, namespace: platform}
spec: {type: kubernetes}
---
apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: corp-sso, namespace: platform}
spec: {type: ldap}
---
apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: ci, namespace: platform}
spec: {type: oidc, issuer: "https://token.actions.githubusercontent.com"}
`,
      FILE,
    );
    expect(result.objects.map((o) => o.metadata.name)).toEqual(['cluster', 'ci']);
    expect(result.problems.map((p) => [p.line, p.object, p.field])).toEqual([
      [9, 'Connection/platform/corp-sso', 'spec.type'],
    ]);
  });

  it('keeps reading the documents after a YAML syntax error', () => {
    const result = parseManifests(
      `apiVersion: v1
kind: Namespace
metadata: {name: billing
---
apiVersion: v1
kind: Namespace
metadata: {name: payments}
`,
      FILE,
    );
    expect(result.namespaces.map((n) => n.name)).toEqual(['payments']);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ object: 'document 1', field: '' });
  });

  it('names the document by its position in the file', () => {
    const { problems } = parseManifests(
      `apiVersion: v1
kind: Namespace
metadata: {name: billing}
---
apiVersion: v1
kind: Namespace
metadata: {}
`,
      FILE,
    );
    expect(problems).toEqual([
      {
        file: FILE,
        line: 7,
        object: 'document 2',
        field: 'metadata.name',
        message: 'missing required field "name"',
      },
    ]);
  });

  it('reports the same object declared twice in one file on the later one', () => {
    const doc = `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: cluster, namespace: platform}
spec: {type: kubernetes}
`;
    const result = parseManifests(
      `${doc}---\n${doc.replace('kubernetes', 'oidc, issuer: "https://x.example"')}`,
      FILE,
    );
    expect(result.objects).toHaveLength(1);
    expect(result.objects[0]?.spec).toMatchObject({ type: 'kubernetes' });
    expect(result.problems).toEqual([
      {
        file: FILE,
        line: 6,
        object: 'Connection/platform/cluster',
        field: '',
        message: `duplicate: Connection/platform/cluster is already declared at ${FILE}:1; this one is ignored`,
      },
    ]);
  });
});

const GOOD = `# The canonical shapes of the design, several per file.
apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: payments-api, namespace: payments}
spec:
  identifier: https://payments.internal
  displayName: Payments API
  scopes:
    - {name: "payments:read", description: Read payments}
    - {name: "payments:write", description: Create payments}
  allowedNamespaces: {matchLabels: {team: billing}}
---
apiVersion: latchkey.dev/v1alpha1
kind: Role
metadata: {name: payments-writer, namespace: payments}
spec:
  description: Create and read payments
  permissions:
    - resourceServer: {name: payments-api}
      scopes: ["payments:read", "payments:write"]
---
---
# Only a comment: declares nothing.
---
apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata:
  name: billing-worker
  namespace: billing
  labels: {app.kubernetes.io/part-of: billing}
spec:
  displayName: Billing worker
  grants:
    - resourceServer: {name: payments-api, namespace: payments}
      scopes: ["payments:read"]
  roles:
    - {name: payments-writer, namespace: payments}
  organizationUsage: allow
---
apiVersion: latchkey.dev/v1alpha1
kind: Organization
metadata: {name: acme, namespace: platform}
spec:
  displayName: Acme Corp
  clients:
    - client: {name: billing-worker, namespace: billing}
---
apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: corp-sso}
spec:
  type: oidc
  issuer: https://sso.example.com
  clientId: latchkey
  clientSecretRef: {name: corp-sso-oauth}
  scopes: [openid, email, profile]
`;

function find<K extends DeclaredObject['kind']>(
  objects: DeclaredObject[],
  kind: K,
): Extract<DeclaredObject, { kind: K }> {
  const found = objects.find((o): o is Extract<DeclaredObject, { kind: K }> => o.kind === kind);
  if (found === undefined) throw new Error(`no ${kind}`);
  return found;
}

describe('parseManifests: good manifests', () => {
  const result = parseManifests(GOOD, FILE);

  it('returns one typed object per document and no problems', () => {
    expect(result.problems.map(formatProblem)).toEqual([]);
    expect(result.objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'ResourceServer payments/payments-api',
      'Role payments/payments-writer',
      'OAuthClient billing/billing-worker',
      'Organization platform/acme',
      'Connection default/corp-sso',
    ]);
  });

  it('records where each object starts', () => {
    expect(result.objects.map((o) => o.origin)).toEqual([
      { file: FILE, line: 2 },
      { file: FILE, line: 13 },
      { file: FILE, line: 25 },
      { file: FILE, line: 40 },
      { file: FILE, line: 48 },
    ]);
  });

  it('applies the schema defaults', () => {
    expect(find(result.objects, 'ResourceServer').spec.accessToken).toEqual({
      lifetime: '5m',
      signingAlgorithm: 'RS256',
    });
    const client: DeclaredOAuthClient = find(result.objects, 'OAuthClient');
    expect(client.spec).toEqual({
      displayName: 'Billing worker',
      appType: 'non_interactive',
      grantTypes: ['client_credentials'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      grants: [
        { resourceServer: { name: 'payments-api', namespace: 'payments' }, scopes: ['payments:read'] },
      ],
      roles: [{ name: 'payments-writer', namespace: 'payments' }],
      organizationUsage: 'allow',
      secret: {
        source: 'Generate',
        keys: {
          clientId: 'client_id',
          clientSecret: 'client_secret',
          issuer: 'issuer',
          tokenEndpoint: 'token_endpoint',
        },
      },
    });
    expect(client.metadata).toEqual({
      name: 'billing-worker',
      namespace: 'billing',
      labels: { 'app.kubernetes.io/part-of': 'billing' },
    });
    expect(find(result.objects, 'Organization').spec).toEqual({
      displayName: 'Acme Corp',
      clients: [{ client: { name: 'billing-worker', namespace: 'billing' } }],
      connections: [],
      members: [],
    });
    expect(find(result.objects, 'Connection').spec.clientSecretRef).toEqual({
      name: 'corp-sso-oauth',
      key: 'client_secret',
    });
  });

  it('treats an empty file as declaring nothing', () => {
    expect(parseManifests('', FILE)).toEqual({ objects: [], secrets: [], namespaces: [], problems: [] });
    expect(parseManifests('# nothing yet\n---\n', FILE).problems).toEqual([]);
  });

  it('skips the objects of other API groups that share an application folder, and keeps the rest', () => {
    const loaded = parseManifests(
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: apps}
spec: {replicas: 2}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: worker, namespace: apps}
---
apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: cluster, namespace: apps}
spec: {type: kubernetes}
`,
      FILE,
    );
    expect(loaded.problems).toEqual([]);
    expect(loaded.objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'Connection apps/cluster',
    ]);
  });
});

describe('parseManifests: Secrets and Namespaces', () => {
  it('decodes Secret data and stringData, stringData winning', () => {
    const { secrets, problems } = parseManifests(
      `apiVersion: v1
kind: Secret
metadata:
  name: corp-sso-oauth
  namespace: platform
  labels: {team: platform}
type: Opaque
data:
  client_id: bGF0Y2hrZXk=
  client_secret: b2xk
stringData:
  client_secret: "s3cr3t: with ünïcode"
---
apiVersion: v1
kind: Secret
metadata: {name: plain}
stringData:
  __proto__: kept as a key
`,
      FILE,
    );
    expect(problems).toEqual([]);
    expect(secrets).toEqual([
      {
        namespace: 'platform',
        name: 'corp-sso-oauth',
        data: { client_id: 'latchkey', client_secret: 's3cr3t: with ünïcode' },
        labels: { team: 'platform' },
      },
      { namespace: 'default', name: 'plain', data: { ['__proto__']: 'kept as a key' } },
    ]);
    const plain = secrets[1]?.data ?? {};
    expect(Object.hasOwn(plain, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
  });

  it('returns Namespace labels with the name label the API server adds', () => {
    const { namespaces, problems } = parseManifests(
      `apiVersion: v1
kind: Namespace
metadata:
  name: billing
  labels: {team: billing}
`,
      FILE,
    );
    expect(problems).toEqual([]);
    expect(namespaces).toEqual([
      { name: 'billing', labels: { team: 'billing', 'kubernetes.io/metadata.name': 'billing' } },
    ]);
  });
});

describe('formatProblem', () => {
  it('prints file:line: object: field: message', () => {
    expect(
      formatProblem({
        file: 'a.yaml',
        line: 3,
        object: 'Role/x/y',
        field: 'spec.permissions[0]',
        message: 'bad',
      }),
    ).toBe('a.yaml:3: Role/x/y: spec.permissions[0]: bad');
  });

  it('leaves the field out when the problem is the whole document', () => {
    expect(formatProblem({ file: 'a.yaml', line: 1, object: 'document 2', field: '', message: 'bad' })).toBe(
      'a.yaml:1: document 2: bad',
    );
  });
});
