import { describe, expect, it } from 'vitest';
import type { KindName } from '../../../src/api/kinds.ts';
import type { Problem } from '../../../src/store/reasons.ts';
import {
  namespaceOptIn,
  resolveRef,
  type Ref,
  type Referable,
  type RefTargets,
} from '../../../src/store/compile/resolve-ref.ts';

interface Target extends Referable {
  kind: KindName;
  metadata: { namespace: string; name: string };
}

const target = (kind: KindName, namespace: string, name: string, team?: string): Target => ({
  kind,
  metadata: { namespace, name },
  spec: team === undefined ? {} : { allowedNamespaces: { matchLabels: { team } } },
});

/** What exists: Roles in `payments`, one open to team billing, and a ResourceServer named like a Role. */
const WORLD = [
  target('Role', 'payments', 'writer', 'billing'),
  target('Role', 'payments', 'reader'),
  target('ResourceServer', 'payments', 'ledger'),
];
const NAMESPACES = new Map([
  ['billing', { team: 'billing' }],
  ['shop', { team: 'shop' }],
]);

const targetsOf = (kind: KindName, mayBeNotReady: boolean): RefTargets<Target> => {
  const byKey = new Map(
    WORLD.filter((t) => t.kind === kind).map((t) => [`${t.metadata.namespace}/${t.metadata.name}`, t]),
  );
  return { kind, get: (key) => byKey.get(key), referable: (t) => t, mayBeNotReady };
};

const cases: [string, Ref, string, KindName, boolean, string | undefined, Problem | undefined][] = [
  ['same namespace, namespace left out', { name: 'reader' }, 'payments', 'Role', false, 'reader', undefined],
  [
    'same namespace, namespace written',
    { name: 'writer', namespace: 'payments' },
    'payments',
    'Role',
    false,
    'writer',
    undefined,
  ],
  [
    'other namespace that the target allows',
    { name: 'writer', namespace: 'payments' },
    'billing',
    'Role',
    false,
    'writer',
    undefined,
  ],
  [
    'other namespace that the target does not select',
    { name: 'writer', namespace: 'payments' },
    'shop',
    'Role',
    false,
    undefined,
    {
      reason: 'ReferenceNotAllowed',
      message:
        'spec.roles[0]: Role payments/writer does not allow references from namespace shop (its spec.allowedNamespaces)',
    },
  ],
  [
    'other namespace, target without allowedNamespaces',
    { name: 'reader', namespace: 'payments' },
    'billing',
    'Role',
    false,
    undefined,
    {
      reason: 'ReferenceNotAllowed',
      message:
        'spec.roles[0]: Role payments/reader does not allow references from namespace billing (its spec.allowedNamespaces)',
    },
  ],
  [
    'missing',
    { name: 'auditor' },
    'payments',
    'Role',
    false,
    undefined,
    { reason: 'ReferenceNotFound', message: 'spec.roles[0]: Role payments/auditor not found' },
  ],
  [
    'missing, of a kind that is listed only once it compiled',
    { name: 'orders' },
    'payments',
    'ResourceServer',
    true,
    undefined,
    {
      reason: 'ReferenceNotFound',
      message: 'spec.roles[0]: ResourceServer payments/orders not found or not ready',
    },
  ],
  [
    'wrong kind: a ResourceServer of that name is no Role',
    { name: 'ledger' },
    'payments',
    'Role',
    false,
    undefined,
    { reason: 'ReferenceNotFound', message: 'spec.roles[0]: Role payments/ledger not found' },
  ],
];

describe('resolveRef, the one resolution of a reference for every kind', () => {
  it.each(cases)('%s', (_, ref, fromNs, kind, mayBeNotReady, found, problem) => {
    const problems: Problem[] = [];
    const site = { namespace: fromNs, where: 'spec.roles[0]', optIn: namespaceOptIn(NAMESPACES), problems };
    const resolved = resolveRef(ref, site, targetsOf(kind, mayBeNotReady));
    expect(resolved?.metadata.name).toBe(found);
    expect(problems).toEqual(problem === undefined ? [] : [problem]);
  });

  it('selects a namespace by its name label even when the cluster gave it no labels', () => {
    const open = target('Role', 'payments', 'open');
    const byName = {
      ...open,
      spec: { allowedNamespaces: { matchLabels: { 'kubernetes.io/metadata.name': 'tools' } } },
    };
    const optIn = namespaceOptIn(new Map());
    expect(optIn(byName, 'tools')).toBe(true);
    expect(optIn(byName, 'shop')).toBe(false);
  });
});
