import { describe, expect, it } from 'vitest';
import { claimClientId, clientIdHolders, compareClaims, defaultIdNamespace } from '../../src/store/claims.ts';
import type { DeclaredObject, DeclaredOAuthClient } from '../../src/store/objects.ts';
import { declare } from './world.ts';

describe('defaultIdNamespace: whose default client ids look like this one', () => {
  it.each([
    ['payments.team-b', 'team-b'],
    ['pay.ments.team-b', 'team-b'],
    ['payments', undefined],
    ['.team-b', undefined],
    ['payments.', undefined],
    ['Payments.team-b', undefined],
    ['payments.Team-B', undefined],
    ['urn:acme:payments.v2', undefined],
    ['payments.team_b', undefined],
    [`${'a'.repeat(254)}.b`, undefined],
    [`a.${'b'.repeat(64)}`, undefined],
    ['__proto__.constructor', undefined],
  ])('%s → %s', (clientId, namespace) => {
    expect(defaultIdNamespace(clientId)).toBe(namespace);
  });
});

describe('compareClaims: the stronger claim sorts first', () => {
  const o = (created: string, extra: { uid?: string; held?: boolean } = {}): DeclaredObject => {
    const d = declare.api('ns', 'api', { identifier: 'https://x' }, created);
    return {
      ...d,
      metadata: { ...d.metadata, ...(extra.uid !== undefined ? { uid: extra.uid } : {}) },
      ...(extra.held !== undefined ? { claimHeld: extra.held } : {}),
    };
  };
  const T1 = '2026-01-01T00:00:00Z';
  const T2 = '2026-01-01T00:00:01Z';
  it.each([
    ['older first', o(T1), o(T2), -1],
    ['newer last', o(T2), o(T1), 1],
    ['older wins over a held status', o(T1), o(T2, { held: true }), -1],
    ['same second: held first', o(T1, { held: true, uid: 'z' }), o(T1, { uid: 'a' }), -1],
    ['same second: held false is no claim', o(T1, { held: false, uid: 'b' }), o(T1, { uid: 'a' }), 1],
    ['same second, no status: smaller uid', o(T1, { uid: 'a' }), o(T1, { uid: 'b' }), -1],
    ['nothing tells them apart', o(T1), o(T1), 0],
  ])('%s', (_, a, b, sign) => {
    expect(Math.sign(compareClaims(a, b))).toBe(sign);
  });
});

describe('claimClientId', () => {
  const client = (ns: string, name: string, clientId?: string) =>
    declare.client(ns, name, clientId === undefined ? {} : { clientId }) as DeclaredOAuthClient;

  it.each([
    ['a default id', client('b', 'payments'), 'payments.b', undefined],
    ['a custom id in its own namespace shape', client('a', 'x', 'payments.a'), 'payments.a', undefined],
    ['a custom id without the default shape', client('a', 'x', 'shared'), 'shared', undefined],
    ["another namespace's default shape", client('a', 'x', 'payments.b'), 'payments.b', 'ClientIdNotAllowed'],
  ])('%s', (_, decl, clientId, reason) => {
    expect(claimClientId(decl, clientId, new Map())?.reason).toBe(reason);
  });

  it('refuses an id already held, naming the holder, and a refused id holds nothing', () => {
    const holders = new Map<string, DeclaredOAuthClient>();
    expect(claimClientId(client('a', 'x', 'payments.b'), 'payments.b', holders)?.reason).toBe(
      'ClientIdNotAllowed',
    );
    expect(claimClientId(client('b', 'payments'), 'payments.b', holders)).toBeUndefined();
    expect(claimClientId(client('c', 'y', 'payments.b'), 'payments.b', holders)?.message).toBe(
      'spec.clientId payments.b has the shape <name>.<namespace> of the default client ids of namespace b (a custom client id may end in .c, or have another shape)',
    );
    expect(claimClientId(client('b', 'z', 'payments.b'), 'payments.b', holders)?.message).toBe(
      'client id payments.b is already used by OAuthClient b/payments',
    );
  });

  it('clientIdHolders: the clients dev mode writes Secrets for', () => {
    const older = declare.client('a', 'one', { clientId: 'shared' }, '2026-01-01T00:00:00Z');
    const newer = declare.client('b', 'two', { clientId: 'shared' }, '2026-02-01T00:00:00Z');
    const squatter = declare.client('a', 'three', { clientId: 'two.b' }, '2026-01-01T00:00:00Z');
    const clients = [newer, squatter, older] as DeclaredOAuthClient[];
    const holders = clientIdHolders(
      clients,
      (c) => c.spec.clientId ?? `${c.metadata.name}.${c.metadata.namespace}`,
    );
    expect([...holders].map((c) => c.metadata.name)).toEqual(['one']);
  });
});
