import { describe, expect, it } from 'vitest';
import { changedSecrets, keysToRecheck, sameResolution } from '../../src/operator/recheck-after-rebuild.ts';
import type { Resolution } from '../../src/store/compile.ts';
import { objectKey, type ObjectKey } from '../../src/store/objects.ts';

const client = (name: string, over: Partial<Resolution> = {}): Resolution => ({
  kind: 'OAuthClient',
  namespace: 'billing',
  name,
  generation: 1,
  ready: true,
  clientId: `${name}.billing`,
  secretName: `${name}-oauth`,
  conditions: [
    { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'OAuthClient is in effect' },
    { type: 'ReferencesResolved', status: 'True', reason: 'Reconciled', message: 'all references resolved' },
  ],
  ...over,
});

const role = (name: string, over: Partial<Resolution> = {}): Resolution => ({
  kind: 'Role',
  namespace: 'payments',
  name,
  generation: 1,
  ready: true,
  conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: 'Role is in effect' }],
  ...over,
});

const connection = (name: string): Resolution => ({
  kind: 'Connection',
  namespace: 'platform',
  name,
  ready: true,
  conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: 'Connection is in effect' }],
});

const keyOf = (r: Resolution) => objectKey(r.kind, r.namespace, r.name);
const world = (...rs: Resolution[]) => new Map<ObjectKey, Resolution>(rs.map((r) => [keyOf(r), r]));
const none = { objects: new Set<string>(), secrets: new Set<string>() };

describe('sameResolution', () => {
  it('treats resolutions built anew from the same facts as the same', () => {
    expect(sameResolution(client('a'), client('a'))).toBe(true);
  });

  it('sees a change in any field, any condition, or a field that appears or goes away', () => {
    const a = client('a');
    expect(sameResolution(a, client('a', { generation: 2 }))).toBe(false);
    expect(sameResolution(a, client('a', { ready: false }))).toBe(false);
    expect(sameResolution(a, client('a', { nextSecretRotationAt: '2026-12-01T00:00:00Z' }))).toBe(false);
    const { secretName: _gone, ...withoutSecret } = a;
    expect(sameResolution(a, withoutSecret)).toBe(false);
    expect(sameResolution(withoutSecret, a)).toBe(false);
    const message = client('a', {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'OAuthClient is in effect' },
        { type: 'ReferencesResolved', status: 'True', reason: 'Reconciled', message: 'other' },
      ],
    });
    expect(sameResolution(a, message)).toBe(false);
    expect(sameResolution(a, client('a', { conditions: a.conditions.slice(0, 1) }))).toBe(false);
  });
});

describe('changedSecrets', () => {
  it('names Secrets that were replaced, appeared or went away, not those kept as they were', () => {
    const kept = {};
    const before = new Map<string, object>([
      ['billing/kept', kept],
      ['billing/edited', {}],
      ['billing/deleted', {}],
    ]);
    const after = new Map<string, object>([
      ['billing/kept', kept],
      ['billing/edited', {}],
      ['billing/created', {}],
    ]);
    expect([...changedSecrets(before, after)].sort()).toEqual([
      'billing/created',
      'billing/deleted',
      'billing/edited',
    ]);
  });
});

describe('keysToRecheck after one change', () => {
  it('re-checks nothing but Connections when nothing changed', () => {
    const before = world(client('a'), role('r'), connection('sso'));
    const after = world(client('a'), role('r'), connection('sso'));
    expect(keysToRecheck(before, after, none)).toEqual([keyOf(connection('sso'))]);
  });

  it('re-checks an object whose cached object changed, even when its resolution did not', () => {
    const before = world(client('a'), client('b'));
    const after = world(client('a'), client('b'));
    const objects = new Set([keyOf(client('b'))]);
    expect(keysToRecheck(before, after, { ...none, objects })).toEqual([keyOf(client('b'))]);
  });

  it('re-checks every client a Role change re-resolved, and the Role, but not the others', () => {
    const failing = {
      ready: false,
      conditions: [
        { type: 'Ready', status: 'False', reason: 'ScopeNotDeclared', message: 'spec.roles[0]: …' },
      ],
    } as const satisfies Partial<Resolution>;
    const before = world(role('writer'), client('a'), client('b'), client('c'));
    const after = world(
      role('writer', { generation: 2 }),
      client('a', failing),
      client('b', failing),
      client('c'),
    );
    const objects = new Set([keyOf(role('writer'))]);
    expect(keysToRecheck(before, after, { ...none, objects })).toEqual([
      keyOf(role('writer')),
      keyOf(client('a')),
      keyOf(client('b')),
    ]);
  });

  it('re-checks objects whose resolution changed with nothing of theirs changed (a Namespace label, say)', () => {
    const denied = {
      ready: false,
      conditions: [{ type: 'Ready', status: 'False', reason: 'ReferenceNotAllowed', message: 'not allowed' }],
    } as const satisfies Partial<Resolution>;
    const before = world(client('a'), client('b'));
    const after = world(client('a', denied), client('b'));
    expect(keysToRecheck(before, after, none)).toEqual([keyOf(client('a'))]);
  });

  it('re-checks the client whose Secret changed or was deleted, by the Secret its resolution names', () => {
    const before = world(client('a'), client('b'), client('c', { secretName: 'shared' }));
    const after = world(client('a'), client('b'), client('c', { secretName: 'shared' }));
    const secrets = new Set(['billing/b-oauth', 'billing/shared', 'other/a-oauth']);
    expect(keysToRecheck(before, after, { ...none, secrets })).toEqual([
      keyOf(client('b')),
      keyOf(client('c')),
    ]);
  });

  it('re-checks objects that are new since the previous rebuild, and forgets deleted ones', () => {
    const before = world(client('a'), client('gone'));
    const after = world(client('a'), client('new'));
    expect(keysToRecheck(before, after, none)).toEqual([keyOf(client('new'))]);
  });
});
