import { describe, expect, it } from 'vitest';
import { MANAGEMENT_SCOPES } from '../../src/management/scopes.ts';
import type { Reach } from '../../src/management/reach.ts';
import { compile } from '../../src/store/compile.ts';
import { grantReach, unionReach } from '../../src/store/compile/management-reach.ts';
import { objectKey, type DeclaredObject } from '../../src/store/objects.ts';
import { validateManifests } from '../../src/validate/validate.ts';
import { testKeys } from '../http/harness.ts';
import { declare, secret, world } from './world.ts';

const IDENTIFIER = 'https://auth.example.com/api/v1';
const BUILT_IN = { namespace: 'latchkey-system', identifier: IDENTIFIER };

const grantTo = (scopes: string[]) => ({
  grants: [{ resourceServer: { name: 'management-api', namespace: 'latchkey-system' }, scopes }],
});

async function compiled(objects: DeclaredObject[], managementApi: typeof BUILT_IN | null = BUILT_IN) {
  const secrets = objects
    .filter((o) => o.kind === 'OAuthClient')
    .map((o) => secret(o.metadata.namespace, `${o.metadata.name}-oauth`, { client_secret: 'x'.repeat(43) }));
  return compile(
    { ...world(objects, secrets), ...(managementApi === null ? {} : { managementApi }) },
    await testKeys(),
    1,
  );
}

describe('the built-in management API', () => {
  it('is an API in the Latchkey namespace with the management scopes, and no object to report on', async () => {
    const { snapshot, resolutions } = await compiled([]);
    expect(snapshot.apis.get(IDENTIFIER)).toMatchObject({
      namespace: 'latchkey-system',
      name: 'management-api',
      scopes: MANAGEMENT_SCOPES,
      lifetimeSeconds: 300,
    });
    expect(resolutions.size).toBe(0);
  });

  it('is not there without a management API input (offline compiles of tests)', async () => {
    expect((await compiled([], null)).snapshot.apis.size).toBe(0);
  });

  it('may be granted from any namespace, by a grant or a Role', async () => {
    const { snapshot, resolutions } = await compiled([
      declare.client('team-a', 'automation', grantTo(['read:clients'])),
      declare.role('team-b', 'reader', { permissions: grantTo(['read:resource_servers']).grants }),
      declare.client('team-b', 'automation', { roles: [{ name: 'reader' }] }),
    ]);
    expect([
      ...(snapshot.clients.get('automation.team-a')?.permissions.get(IDENTIFIER)?.scopes ?? []),
    ]).toEqual(['read:clients']);
    expect([
      ...(snapshot.clients.get('automation.team-b')?.permissions.get(IDENTIFIER)?.scopes ?? []),
    ]).toEqual(['read:resource_servers']);
    expect([...resolutions.values()].every((r) => r.ready)).toBe(true);
  });

  it('refuses a scope it does not declare, as any API does', async () => {
    const { resolutions } = await compiled([
      declare.client('team-a', 'greedy', grantTo(['delete:everything'])),
    ]);
    expect(resolutions.get(objectKey('OAuthClient', 'team-a', 'greedy'))?.conditions).toContainEqual(
      expect.objectContaining({ reason: 'ScopeNotDeclared' }),
    );
  });

  it('keeps its name and identifier from declared ResourceServers, whatever their age', async () => {
    const { snapshot, resolutions } = await compiled([
      declare.api(
        'latchkey-system',
        'management-api',
        { identifier: 'https://other.example.com' },
        '2020-01-01T00:00:00Z',
      ),
      declare.api(
        'team-b',
        'impostor',
        { identifier: IDENTIFIER, scopes: [{ name: 'read:clients' }] },
        '2020-01-01T00:00:00Z',
      ),
    ]);
    expect(snapshot.apis.get(IDENTIFIER)?.namespace).toBe('latchkey-system');
    expect(snapshot.apis.has('https://other.example.com')).toBe(false);
    expect(
      resolutions.get(objectKey('ResourceServer', 'latchkey-system', 'management-api'))?.conditions[0],
    ).toMatchObject({
      status: 'False',
      reason: 'NameReserved',
      message: expect.stringContaining("has the name of Latchkey's built-in management API"),
    });
    expect(resolutions.get(objectKey('ResourceServer', 'team-b', 'impostor'))?.conditions[0]).toMatchObject({
      reason: 'IdentifierConflict',
    });
  });

  it('is the same declaration from one compile to the next, so unchanged worlds reuse their compile', async () => {
    const first = await compiled([declare.client('team-a', 'automation', grantTo(['read:clients']))]);
    const keys = await testKeys();
    const objects = [declare.client('team-a', 'automation', grantTo(['read:clients']))];
    const inputs = { ...world(objects), managementApi: BUILT_IN };
    const a = compile(inputs, keys, 1);
    const b = compile(inputs, keys, 2, a);
    expect(b.snapshot.apis.get(IDENTIFIER)).toBe(a.snapshot.apis.get(IDENTIFIER));
    expect(first.snapshot.apis.get(IDENTIFIER)).toEqual(a.snapshot.apis.get(IDENTIFIER));
  });
});

describe('latchkey validate knows the built-in management API', () => {
  it('accepts a grant to it, and reports a ResourceServer that takes its name', () => {
    const text = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: {name: automation, namespace: team-a}
spec:
  grants:
    - resourceServer: {name: management-api, namespace: latchkey-system}
      scopes: [read:clients]
---
apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: management-api, namespace: latchkey-system}
spec:
  identifier: https://mine.example.com
`;
    expect(validateManifests([{ file: 'm.yaml', text }]).problems).toEqual([
      expect.objectContaining({
        file: 'm.yaml',
        object: 'ResourceServer/latchkey-system/management-api',
        message: expect.stringContaining('built-in management API'),
      }),
    ]);
  });
});

describe('grantReach: what one grant of the management API reaches', () => {
  const all = { all: true };
  const only = (...namespaces: string[]) => ({ all: false, namespaces: new Set(namespaces) });
  it.each<[string, string, string[] | undefined, object, string[]]>([
    ['a client in the Latchkey namespace: every namespace', 'latchkey-system', undefined, all, []],
    ['…or the namespaces its grant names', 'latchkey-system', ['a', 'b'], only('a', 'b'), []],
    ['a team’s client: its own namespace', 'a', undefined, only('a'), []],
    ['…which naming it changes nothing', 'a', ['a'], only('a'), []],
    [
      '…and naming others cannot widen',
      'a',
      ['a', 'b', 'latchkey-system'],
      only('a'),
      ['b', 'latchkey-system'],
    ],
  ])('%s', (_, clientNamespace, namespaces, reach, beyond) => {
    expect(grantReach(clientNamespace, 'latchkey-system', namespaces)).toEqual({ reach, beyond });
  });

  it.each<[string, Reach | undefined, Reach, Reach]>([
    ['the first grant', undefined, only('a') as Reach, only('a') as Reach],
    ['every namespace wins', only('a') as Reach, all as Reach, all as Reach],
    ['…either way', all as Reach, only('a') as Reach, all as Reach],
    ['namespaces add up', only('a') as Reach, only('b') as Reach, only('a', 'b') as Reach],
  ])('unionReach: %s', (_, a, b, union) => {
    expect(unionReach(a, b)).toEqual(union);
  });
});

describe('compiled reach of a client’s management scopes', () => {
  it('is per scope: a grant limited to namespaces, a Role’s grant to its own', async () => {
    const { snapshot } = await compiled([
      declare.client('latchkey-system', 'portal', {
        grants: [{ ...grantTo(['read:clients']).grants[0], namespaces: ['team-a', 'team-b'] }],
        roles: [{ name: 'auditor' }],
      }),
      declare.role('latchkey-system', 'auditor', { permissions: grantTo(['read:resource_servers']).grants }),
    ]);
    expect(snapshot.clients.get('portal.latchkey-system')?.managementReach).toEqual(
      new Map([
        ['read:clients', { all: false, namespaces: new Set(['team-a', 'team-b']) }],
        ['read:resource_servers', { all: true }],
      ]),
    );
  });

  it('refuses namespaces beyond a team’s own, and on a grant of another API, keeping the grants', async () => {
    const { snapshot, resolutions } = await compiled([
      declare.api('team-a', 'payments', { identifier: 'https://payments', scopes: [{ name: 'read' }] }),
      declare.client('team-a', 'greedy', {
        grants: [
          { ...grantTo(['read:clients']).grants[0], namespaces: ['team-a', 'team-b'] },
          { resourceServer: { name: 'payments' }, scopes: ['read'], namespaces: ['team-a'] },
        ],
      }),
    ]);
    const client = snapshot.clients.get('greedy.team-a');
    expect(client?.managementReach?.get('read:clients')).toEqual({
      all: false,
      namespaces: new Set(['team-a']),
    });
    expect(client?.permissions.get('https://payments')?.scopes).toEqual(['read']);
    const messages = resolutions
      .get(objectKey('OAuthClient', 'team-a', 'greedy'))
      ?.conditions.filter((c) => c.reason === 'NamespacesNotAllowed')
      .map((c) => c.message);
    expect(messages?.join('\n')).toContain(
      'spec.grants[0].namespaces: only a client in the Latchkey namespace latchkey-system reaches other namespaces; team-b ignored',
    );
    expect(messages?.join('\n')).toContain(
      'spec.grants[1].namespaces: only a grant of the management API names namespaces; team-a/payments ignores them',
    );
  });
});
