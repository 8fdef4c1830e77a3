import type { ListQuery, SortKey } from './list-query.ts';

/** Sort orders one listing keeps; a caller cycling through every order cannot grow it further. */
const MAX_CACHED_ORDERS = 32;

/**
 * One resource's items as of a snapshot, with the orders asked for so far, computed once per snapshot: a
 * page sorted by name out of 10,000 clients costs a walk of the order, not a sort.
 */
export class Listing<T extends object> {
  readonly items: readonly T[];
  readonly #orders = new Map<string, readonly number[]>();

  /** `items` in the default order (namespace, then name). */
  constructor(items: readonly T[]) {
    this.items = items;
  }

  /** Item indexes in the order `sort` gives, ties in the default order. */
  order(sort: readonly SortKey[]): readonly number[] {
    const key = sort.map((k) => `${k.descending ? '-' : ''}${k.field}`).join(':');
    let order = this.#orders.get(key);
    if (order === undefined) {
      order = sortedIndexes(this.items, sort);
      if (this.#orders.size >= MAX_CACHED_ORDERS) this.#orders.clear();
      this.#orders.set(key, order);
    }
    return order;
  }
}

/** The page of a listing that `query` asks for, among the items `keep` accepts, and how many it accepts. */
export function pageOf<T extends object>(
  listing: Listing<T>,
  query: ListQuery,
  keep: (item: T) => boolean,
): { total: number; items: Partial<T>[] } {
  const start = (query.page - 1) * query.pageSize;
  const end = start + query.pageSize;
  const items: Partial<T>[] = [];
  let total = 0;
  for (const i of listing.order(query.sort)) {
    const item = listing.items[i] as T;
    if (!keep(item)) continue;
    if (total >= start && total < end) items.push(project(item, query.fields));
    total++;
  }
  return { total, items };
}

/** Only the named fields, in the order given; every field when none are named. */
export function project<T extends object>(item: T, fields: readonly string[] | undefined): Partial<T> {
  if (fields === undefined) return item;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (Object.hasOwn(item, f)) out[f] = (item as Record<string, unknown>)[f];
  return out as Partial<T>;
}

/**
 * Indexes of `items` sorted by the keys: strings by code point (the same everywhere, unlike a locale's
 * collation), numbers and booleans by value, an absent value after every present one in either direction.
 */
export function sortedIndexes<T extends object>(items: readonly T[], sort: readonly SortKey[]): number[] {
  const indexes = items.map((_, i) => i);
  if (sort.length === 0) return indexes;
  const columns = sort.map((k) => items.map((item) => (item as Record<string, unknown>)[k.field]));
  return indexes.sort((a, b) => {
    for (let k = 0; k < sort.length; k++) {
      const column = columns[k] as unknown[];
      const [x, y] = [column[a], column[b]];
      if (x === y) continue;
      if (x === undefined || y === undefined) return x === undefined ? 1 : -1;
      const c = (x as string | number) < (y as string | number) ? -1 : 1;
      return (sort[k] as SortKey).descending ? -c : c;
    }
    return a - b;
  });
}
