import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { keySetOf } from '../../src/keys/generate.ts';
import type { ConditionDecision, Resolution } from '../../src/store/compile.ts';
import { compile } from '../../src/store/compile.ts';
import type { ObjectKey } from '../../src/store/objects.ts';
import { readinessSummary } from '../../src/store/readiness-summary.ts';
import type { ReasonName } from '../../src/store/reasons.ts';
import { registerStoreMetrics } from '../../src/store/store-metrics.ts';
import { declare, world } from './world.ts';

type Status = ConditionDecision['status'];

function resolution(
  kind: Resolution['kind'],
  namespace: string,
  ready: [Status, ReasonName],
  issuer?: [Status, ReasonName],
): Resolution {
  const conditions: ConditionDecision[] = [
    { type: 'Ready', status: ready[0], reason: ready[1], message: '' },
  ];
  if (issuer) conditions.push({ type: 'IssuerVerified', status: issuer[0], reason: issuer[1], message: '' });
  return { kind, namespace, name: 'x', ready: ready[0] === 'True', conditions };
}

const ok = (kind: Resolution['kind'], ns = 'a') => resolution(kind, ns, ['True', 'Reconciled']);

describe('readinessSummary', () => {
  it.each<[string, Resolution[], { notReady: unknown[]; failing: Record<string, number> }]>([
    ['nothing declared', [], { notReady: [], failing: {} }],
    ['everything Ready', [ok('OAuthClient'), ok('Role'), ok('Connection')], { notReady: [], failing: {} }],
    [
      'counts by kind and the Ready reason',
      [
        resolution('OAuthClient', 'a', ['False', 'SecretMissing']),
        resolution('OAuthClient', 'b', ['False', 'SecretMissing']),
        resolution('OAuthClient', 'b', ['False', 'ReferenceNotAllowed']),
        resolution('Role', 'a', ['False', 'ScopeNotDeclared']),
        ok('OAuthClient'),
      ],
      {
        notReady: [
          { kind: 'OAuthClient', reason: 'ReferenceNotAllowed', count: 1 },
          { kind: 'OAuthClient', reason: 'SecretMissing', count: 2 },
          { kind: 'Role', reason: 'ScopeNotDeclared', count: 1 },
        ],
        failing: {},
      },
    ],
    [
      'a Connection whose issuer check failed is failing, by namespace',
      [
        resolution('Connection', 'platform', ['False', 'IssuerUnreachable'], ['False', 'IssuerUnreachable']),
        resolution('Connection', 'platform', ['False', 'IssuerUnreachable'], ['False', 'IssuerUnreachable']),
        resolution('Connection', 'ci', ['False', 'IssuerUnreachable'], ['False', 'IssuerUnreachable']),
      ],
      {
        notReady: [{ kind: 'Connection', reason: 'IssuerUnreachable', count: 3 }],
        failing: { ci: 1, platform: 2 },
      },
    ],
    [
      'a Connection dev mode did not check is not Ready, but not failing',
      [
        resolution(
          'Connection',
          'platform',
          ['Unknown', 'DiscoveryNotChecked'],
          ['Unknown', 'DiscoveryNotChecked'],
        ),
      ],
      { notReady: [{ kind: 'Connection', reason: 'DiscoveryNotChecked', count: 1 }], failing: {} },
    ],
  ])('%s', (_name, resolutions, expected) => {
    const summary = readinessSummary(resolutions);
    expect(summary.notReady).toEqual(expected.notReady);
    expect(Object.fromEntries(summary.failingConnections)).toEqual(expected.failing);
  });

  it('counts the objects of every kind, 0 for a kind with none', () => {
    const summary = readinessSummary([ok('OAuthClient'), ok('OAuthClient'), ok('Role')]);
    expect(Object.fromEntries(summary.objects)).toEqual({
      ResourceServer: 0,
      Role: 1,
      OAuthClient: 2,
      Organization: 0,
      Connection: 0,
    });
  });

  it('reads what the compiler decided: a client naming a missing API is not Ready', () => {
    const compiled = compile(
      world([
        declare.client('billing', 'worker', {
          grantTypes: ['client_credentials'],
          grants: [{ resourceServer: { name: 'nope' }, scopes: ['read'] }],
        }),
      ]),
      keySetOf([]),
      1,
    );
    expect(readinessSummary(compiled.resolutions.values()).notReady).toEqual([
      { kind: 'OAuthClient', reason: 'ReferenceNotFound', count: 1 },
    ]);
  });
});

describe('registerStoreMetrics', () => {
  it('reports the last compile at each scrape, and keeps a series at 0 once its objects are Ready', async () => {
    const registry = new Registry();
    let current = new Map<ObjectKey, Resolution>([
      ['OAuthClient/a/x', resolution('OAuthClient', 'a', ['False', 'SecretMissing'])],
      [
        'Connection/ci/x',
        resolution('Connection', 'ci', ['False', 'IssuerUnreachable'], ['False', 'IssuerUnreachable']),
      ],
    ]);
    registerStoreMetrics(registry, () => current);
    let text = await registry.metrics();
    expect(text).toContain('latchkey_objects_not_ready{kind="OAuthClient",reason="SecretMissing"} 1');
    expect(text).toContain('latchkey_objects_not_ready{kind="Connection",reason="IssuerUnreachable"} 1');
    expect(text).toContain('latchkey_connections_failing{connection_namespace="ci"} 1');
    expect(text).toContain('latchkey_objects{kind="OAuthClient"} 1');

    current = new Map([['OAuthClient/a/x', ok('OAuthClient')]]);
    text = await registry.metrics();
    expect(text).toContain('latchkey_objects_not_ready{kind="OAuthClient",reason="SecretMissing"} 0');
    expect(text).toContain('latchkey_objects_not_ready{kind="Connection",reason="IssuerUnreachable"} 0');
    expect(text).toContain('latchkey_connections_failing{connection_namespace="ci"} 0');
    expect(text).toContain('latchkey_objects{kind="Connection"} 0');
  });
});
