import { describe, expect, it } from 'vitest';
import { referenceHint, type Declared } from '../../src/validate/reference-hint.ts';

const at = (kind: string, namespace: string, name: string, file = 'a.yaml', line = 1): Declared => ({
  kind,
  namespace,
  name,
  origin: { file, line },
});

const DECLARED: Declared[] = [
  at('ResourceServer', 'team-a', 'payments-api', 'team-a/api.yaml', 3),
  at('ResourceServer', 'billing', 'ledger-api', 'billing.yaml', 1),
  at('Role', 'team-a', 'writer', 'team-a/roles.yaml', 1),
  at('Role', 'team-b', 'writer', 'team-b/roles.yaml', 9),
  at('Role', 'team-c', 'writer', 'team-c/roles.yaml', 9),
  at('Role', 'team-d', 'writer', 'team-d/roles.yaml', 9),
  at('OAuthClient', 'billing', 'worker'),
];

describe('referenceHint', () => {
  it.each<[string, Declared['kind'], string, string, string | undefined]>([
    [
      'names the namespace where an object of that kind and name is declared',
      'ResourceServer',
      'billing',
      'payments-api',
      'did you mean namespace team-a (team-a/api.yaml:3)?',
    ],
    [
      'lists up to three namespaces, in order, and says there are more',
      'Role',
      'billing',
      'writer',
      'did you mean namespace team-a (team-a/roles.yaml:1), team-b (team-b/roles.yaml:9) or team-c (team-c/roles.yaml:9), or 1 more?',
    ],
    [
      'otherwise names a near name of that kind in the same namespace',
      'ResourceServer',
      'billing',
      'ledgr-api',
      'did you mean ledger-api (billing.yaml:1)?',
    ],
    [
      'points at the object when it is declared but not ready, whose own problems say why',
      'ResourceServer',
      'billing',
      'ledger-api',
      'it is declared at billing.yaml:1 but is not ready: see the problems reported there',
    ],
    ['only of the same kind', 'ResourceServer', 'billing', 'worker', undefined],
    ['and says nothing when nothing is near', 'Connection', 'billing', 'corp-sso', undefined],
  ])('%s', (_, kind, namespace, name, hint) => {
    expect(referenceHint({ kind, namespace, name }, DECLARED)).toBe(hint);
  });
});
