import { describe, expect, it } from 'vitest';
import type { KindName } from '../../src/api/kinds.ts';
import { isStale } from '../../src/operator/staleness.ts';
import { desiredStatus } from '../../src/operator/status.ts';
import type { Resolution } from '../../src/store/compile.ts';

const NOW = Date.parse('2026-11-24T10:00:00Z');

const resolution = (kind: KindName): Resolution => ({
  kind,
  namespace: 'ns',
  name: 'x',
  generation: 1,
  ready: true,
  conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: 'in effect' }],
});
const written = (kind: KindName) => desiredStatus(resolution(kind), undefined, NOW);

describe('whether an object needs a reconcile', () => {
  it.each([
    ['ResourceServer', 'status as decided', { status: written('ResourceServer') }, false],
    ['ResourceServer', 'no status yet', { status: undefined }, true],
    [
      'Role',
      'status of an older generation',
      { status: { ...written('Role'), observedGeneration: 0 } },
      true,
    ],
    [
      'OAuthClient',
      'status as decided, Secret in order',
      { status: written('OAuthClient'), secretAction: 'none' },
      false,
    ],
    [
      'OAuthClient',
      'status as decided, Secret to create',
      { status: written('OAuthClient'), secretAction: 'create' },
      true,
    ],
    [
      'OAuthClient',
      'status as decided, Secret to patch',
      { status: written('OAuthClient'), secretAction: 'update' },
      true,
    ],
    [
      'OAuthClient',
      'status as decided, Secret not ours',
      { status: written('OAuthClient'), secretAction: 'conflict' },
      true,
    ],
    [
      'Connection',
      'status as decided, issuer checked',
      { status: written('Connection'), connectionChecked: true },
      false,
    ],
    [
      'Connection',
      'status as decided, issuer not checked',
      { status: written('Connection'), connectionChecked: false },
      true,
    ],
    // A Secret step or a check only counts for the kind that has one.
    [
      'Role',
      'a stray Secret step',
      { status: written('Role'), secretAction: 'create', connectionChecked: false },
      false,
    ],
  ] as const)('%s with %s: %s', (kind, _case, input, stale) => {
    expect(isStale({ kind, resolution: resolution(kind), now: NOW, ...input })).toBe(stale);
  });

  it('a later clock alone makes nothing stale: transition times are kept', () => {
    const status = written('Organization');
    expect(
      isStale({ kind: 'Organization', resolution: resolution('Organization'), status, now: NOW + 3_600_000 }),
    ).toBe(false);
  });
});
