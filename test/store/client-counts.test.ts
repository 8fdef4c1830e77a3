import { describe, expect, it } from 'vitest';
import { canGetTokens, clientCounts } from '../../src/store/client-counts.ts';
import type { ClientOrganization, CompiledClient, Grant } from '../../src/store/snapshot.ts';

const grant = {} as Grant;
const client = (
  permissions: number,
  organizations: number[] = [],
): Pick<CompiledClient, 'permissions' | 'organizations'> => ({
  permissions: new Map(Array.from({ length: permissions }, (_, i) => [`https://api-${i}`, grant])),
  organizations: new Map(
    organizations.map((n, i) => [
      `org-${i}`,
      {
        permissions: new Map(Array.from({ length: n }, (_, j) => [`https://org-api-${j}`, grant])),
      } as unknown as ClientOrganization,
    ]),
  ),
});

describe('canGetTokens', () => {
  it.each<[string, Pick<CompiledClient, 'permissions' | 'organizations'>, boolean]>([
    ['a client granted an API', client(1), true],
    // Every grant refused (ReferenceNotAllowed, ReferenceNotFound): it authenticates, and gets no token.
    ['a client whose grants were all refused', client(0), false],
    ["a client granted an API in an Organization's context only", client(0, [1]), true],
    ['a member of an Organization that gives it nothing', client(0, [0]), false],
  ])('%s: %s', (_, c, expected) => {
    expect(canGetTokens(c)).toBe(expected);
  });
});

describe('clientCounts', () => {
  it('counts the clients that can get tokens as in effect, and every other declared one as blocked', () => {
    // Three in the snapshot (one granted nothing) of five declared (two cannot authenticate at all).
    expect(clientCounts([client(2), client(0, [1]), client(0)], 5)).toEqual({ inEffect: 2, blocked: 3 });
    expect(clientCounts([], 0)).toEqual({ inEffect: 0, blocked: 0 });
  });
});
