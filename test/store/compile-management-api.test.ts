import { describe, expect, it } from 'vitest';
import { MANAGEMENT_SCOPES } from '../../src/management/scopes.ts';
import { compile } from '../../src/store/compile.ts';
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
