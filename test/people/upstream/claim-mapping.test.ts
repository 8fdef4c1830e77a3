import { describe, expect, it } from 'vitest';

import {
  groupsAt,
  lacksMappedClaims,
  mapClaims,
  MAX_GROUPS,
} from '../../../src/people/upstream/claim-mapping.ts';
import { signIn } from '../harness.ts';

const claims = signIn().claims;

describe('claim mapping', () => {
  it('maps the OpenID Connect standard claims', () => {
    expect(
      mapClaims(
        {
          sub: '248289761001',
          email: 'jane@example.com',
          email_verified: true,
          name: 'Jane Doe',
          preferred_username: 'jane',
          groups: ['admins', 'dev'],
        },
        claims,
      ),
    ).toEqual({
      ok: true,
      person: {
        subject: '248289761001',
        email: 'jane@example.com',
        emailVerified: true,
        name: 'Jane Doe',
        username: 'jane',
        groups: ['admins', 'dev'],
      },
    });
  });

  it.each([
    ['sub missing', {}],
    ['sub empty', { sub: '' }],
    ['sub a number', { sub: 42 }],
    ['sub an array', { sub: ['a'] }],
    ['sub null', { sub: null }],
  ])('refuses a user id that is not a non-empty string: %s', (_, input) => {
    expect(mapClaims(input, claims)).toEqual({
      ok: false,
      reason: 'the "sub" claim is not a non-empty string',
    });
  });

  it('reads the user id from the claim the Connection names', () => {
    const mapped = mapClaims({ sub: 'pairwise-1', oid: 'object-id-7' }, { ...claims, userId: 'oid' });
    expect(mapped.ok && mapped.person.subject).toBe('object-id-7');
  });

  it('does not take a user id from the prototype', () => {
    expect(mapClaims({}, { ...claims, userId: 'constructor' }).ok).toBe(false);
    expect(mapClaims({}, { ...claims, userId: '__proto__' }).ok).toBe(false);
  });

  it.each([
    [true, true],
    ['true', true],
    [false, false],
    ['false', false],
    ['TRUE', false],
    [1, false],
    ['yes', false],
    [undefined, false],
    [null, false],
  ])('email_verified %j counts as verified: %s', (value, verified) => {
    const mapped = mapClaims({ sub: 's', email: 'a@example.com', email_verified: value }, claims);
    expect(mapped.ok && mapped.person.emailVerified).toBe(verified);
  });

  it('reports an unverified email as unverified, never dropped or promoted', () => {
    const mapped = mapClaims({ sub: 's', email: 'a@example.com', email_verified: false }, claims);
    expect(mapped).toEqual({
      ok: true,
      person: { subject: 's', email: 'a@example.com', emailVerified: false, groups: [] },
    });
  });

  it('ignores claims of the wrong type', () => {
    const mapped = mapClaims(
      { sub: 's', email: 7, email_verified: true, name: { first: 'J' }, preferred_username: '' },
      claims,
    );
    expect(mapped).toEqual({ ok: true, person: { subject: 's', emailVerified: false, groups: [] } });
  });
});

describe('groups claim path', () => {
  it.each([
    ['an array', { groups: ['a', 'b'] }, 'groups', ['a', 'b']],
    ['a single string', { groups: 'a' }, 'groups', ['a']],
    ['an empty string', { groups: '' }, 'groups', []],
    ['non-strings dropped', { groups: ['a', 1, null, { x: 1 }, 'b', ''] }, 'groups', ['a', 'b']],
    ['duplicates removed', { groups: ['a', 'a'] }, 'groups', ['a']],
    ['a dotted path', { realm_access: { roles: ['admin'] } }, 'realm_access.roles', ['admin']],
    ['a deep path', { a: { b: { c: 'x' } } }, 'a.b.c', ['x']],
    [
      'a claim whose name has dots',
      { 'https://example.com/groups': ['g'] },
      'https://example.com/groups',
      ['g'],
    ],
    ['a path through an array', { a: [{ b: ['x'] }] }, 'a.0.b', []],
    ['a missing path', { a: {} }, 'a.b', []],
    ['a number', { groups: 5 }, 'groups', []],
    ['an object', { groups: { a: true } }, 'groups', []],
    ['the prototype', {}, '__proto__.constructor', []],
    ['constructor', {}, 'constructor', []],
    ['a name longer than 256 characters, dropped', { groups: ['a'.repeat(257), 'ok'] }, 'groups', ['ok']],
    ['one string longer than 256 characters', { groups: 'a'.repeat(257) }, 'groups', []],
  ])('%s', (_, input, path, groups) => {
    expect(groupsAt(input as Record<string, unknown>, path)).toEqual(groups);
  });

  it('keeps at most 500 groups, the first ones given, each once', () => {
    const many = Array.from({ length: 2000 }, (_, i) => `g${i % 1000}`);
    const kept = groupsAt({ groups: many }, 'groups');
    expect(kept).toHaveLength(MAX_GROUPS);
    expect(kept.slice(0, 2)).toEqual(['g0', 'g1']);
    expect(kept.at(-1)).toBe('g499');
  });

  it('maps no groups when the Connection names no groups claim', () => {
    const mapped = mapClaims({ sub: 's', groups: ['a'] }, { ...claims, groups: undefined });
    expect(mapped.ok && mapped.person.groups).toEqual([]);
  });
});

describe('whether userinfo is needed', () => {
  const full = {
    sub: 's',
    email: 'a@b.c',
    email_verified: true,
    name: 'A',
    preferred_username: 'a',
    groups: ['g'],
  };
  it.each([
    ['nothing is missing', full, false],
    ['email is missing', { ...full, email: undefined }, true],
    ['groups are missing', { ...full, groups: undefined }, true],
  ])('%s', (_, input, needed) => {
    expect(lacksMappedClaims(JSON.parse(JSON.stringify(input)) as Record<string, unknown>, claims)).toBe(
      needed,
    );
  });
});
