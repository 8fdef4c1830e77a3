import { describe, expect, it } from 'vitest';
import type { SortKey } from '../../src/management/list-query.ts';
import { Listing, pageOf, project, sortedIndexes } from '../../src/management/listing.ts';
import { describeReach, reaches, type Reach } from '../../src/management/reach.ts';
import { listFilter } from '../../src/management/filters.ts';

interface Item {
  namespace: string;
  name: string;
  created_at?: string;
  ready: boolean;
}

const ITEMS: Item[] = [
  { namespace: 'a', name: 'zeta', created_at: '2026-01-03T00:00:00Z', ready: true },
  { namespace: 'a', name: 'Alpha', created_at: '2026-01-01T00:00:00Z', ready: false },
  { namespace: 'b', name: 'beta', ready: true },
  { namespace: 'b', name: 'alpha', created_at: '2026-01-01T00:00:00Z', ready: true },
];

const asc = (field: string): SortKey => ({ field, descending: false });
const desc = (field: string): SortKey => ({ field, descending: true });

const orders: [string, SortKey[], string[]][] = [
  ['no sort keeps the default order', [], ['zeta', 'Alpha', 'beta', 'alpha']],
  ['by code point, upper case first, not by locale', [asc('name')], ['Alpha', 'alpha', 'beta', 'zeta']],
  ['descending', [desc('name')], ['zeta', 'beta', 'alpha', 'Alpha']],
  ['ties keep the default order', [asc('created_at')], ['Alpha', 'alpha', 'zeta', 'beta']],
  ['absent values last, descending too', [desc('created_at')], ['zeta', 'Alpha', 'alpha', 'beta']],
  ['a second key breaks ties', [asc('created_at'), desc('name')], ['alpha', 'Alpha', 'zeta', 'beta']],
  ['booleans: false first', [asc('ready')], ['Alpha', 'zeta', 'beta', 'alpha']],
];

describe('sortedIndexes', () => {
  it.each(orders)('%s', (_, sort, names) => {
    expect(sortedIndexes(ITEMS, sort).map((i) => ITEMS[i]?.name)).toEqual(names);
  });
});

describe('pageOf', () => {
  const listing = new Listing(ITEMS);
  const query = { page: 1, pageSize: 2, sort: [asc('name')], fields: undefined, filters: {} };

  it('pages through the order and counts every kept item', () => {
    expect(pageOf(listing, query, () => true)).toEqual({ total: 4, items: [ITEMS[1], ITEMS[3]] });
    expect(pageOf(listing, { ...query, page: 2 }, () => true).items.map((i) => i.name)).toEqual([
      'beta',
      'zeta',
    ]);
    expect(pageOf(listing, { ...query, page: 3 }, () => true)).toEqual({ total: 4, items: [] });
  });

  it('counts only what the filter keeps', () => {
    const page = pageOf(listing, query, (i) => i.namespace === 'b');
    expect(page).toEqual({ total: 2, items: [ITEMS[3], ITEMS[2]] });
  });

  it('projects the page to the fields asked for', () => {
    const page = pageOf(listing, { ...query, fields: ['name', 'created_at'] }, () => true);
    expect(page.items).toEqual([
      { name: 'Alpha', created_at: '2026-01-01T00:00:00Z' },
      { name: 'alpha', created_at: '2026-01-01T00:00:00Z' },
    ]);
  });

  it('sorts once per order and reuses it', () => {
    expect(listing.order([asc('name')])).toBe(listing.order([asc('name')]));
    expect(listing.order([asc('name')])).not.toBe(listing.order([desc('name')]));
  });

  it('leaves out a field an item does not have', () => {
    expect(project(ITEMS[2] as Item, ['name', 'created_at'])).toEqual({ name: 'beta' });
  });
});

describe('reach and filters', () => {
  const team: Reach = { all: false, namespaces: new Set(['a']) };
  const admin: Reach = { all: true };

  it('reaches the namespaces it names, or all', () => {
    expect([reaches(team, 'a'), reaches(team, 'b'), reaches(team, 'latchkey-system')]).toEqual([
      true,
      false,
      false,
    ]);
    expect([reaches(admin, 'a'), reaches(admin, 'b')]).toEqual([true, true]);
    expect([describeReach(team), describeReach(admin)]).toEqual(['namespace a', 'every namespace']);
    expect(describeReach({ all: false, namespaces: new Set(['a', 'b']) })).toBe('namespaces a, b');
  });

  const searchIn = (i: Item) => [i.name];
  const kept = (filters: Record<string, string>, reach: Reach = admin) =>
    ITEMS.filter(listFilter(filters, reach, searchIn)).map((i) => `${i.namespace}/${i.name}`);

  it('keeps what the reach reaches, in the namespace asked for, matching search case-insensitively', () => {
    expect(kept({}, team)).toEqual(['a/zeta', 'a/Alpha']);
    expect(kept({ namespace: 'b' })).toEqual(['b/beta', 'b/alpha']);
    expect(kept({ search: 'ALP' })).toEqual(['a/Alpha', 'b/alpha']);
    expect(kept({ search: 'alp' }, team)).toEqual(['a/Alpha']);
  });

  it('refuses a namespace outside the reach with 403, and a search too long with 400', () => {
    expect(() => kept({ namespace: 'b' }, team)).toThrow(
      expect.objectContaining({
        status: 403,
        code: 'namespace_not_allowed',
        message: 'your token reaches namespace a, not namespace "b"',
      }),
    );
    expect(() => kept({ search: 'x'.repeat(201) })).toThrow(
      expect.objectContaining({ status: 400, message: 'search must be at most 200 characters' }),
    );
  });
});
