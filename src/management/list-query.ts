import { closestName } from '../closest-name.ts';
import { invalidQuery } from './errors.ts';

/** Page size when `page_size` is absent, and the most one page may hold. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** A query string as fastify parses it: a repeated parameter is an array. */
export type RawQuery = Readonly<Record<string, string | readonly string[] | undefined>>;

/** What a list endpoint offers: the fields it has, those it sorts by, and its filters. */
export interface ListShape {
  /** Every field of an item, in the order items carry them: what `fields` may name. */
  fields: readonly string[];
  sortable: readonly string[];
  /** Filter parameters besides the list conventions (`namespace`, `search`). */
  filters: readonly string[];
}

export interface SortKey {
  field: string;
  descending: boolean;
}

/** A list request, checked. */
export interface ListQuery {
  /** 1-based. */
  page: number;
  pageSize: number;
  sort: readonly SortKey[];
  /** The projection; undefined returns every field. */
  fields: readonly string[] | undefined;
  filters: Readonly<Record<string, string>>;
}

/** The list conventions every list takes; a get takes only `fields`. */
export const LIST_CONVENTIONS: readonly string[] = ['page', 'page_size', 'sort', 'fields'];
const POSITIVE = /^[1-9][0-9]{0,8}$/;

/**
 * Reads `page`, `page_size`, `sort` (`-created_at:name`), `fields` (`client_id,name`) and the shape's filters.
 * Anything else, a repeated parameter, an unknown field or a page size over {@link MAX_PAGE_SIZE} is a 400
 * whose message names it.
 *
 * @throws {ManagementError} 400 `invalid_query`
 */
export function parseListQuery(
  query: RawQuery,
  shape: ListShape,
  conventions: readonly string[] = LIST_CONVENTIONS,
): ListQuery {
  const known = [...conventions, ...shape.filters];
  const filters: Record<string, string> = {};
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (!known.includes(name)) throw invalidQuery(unknownMessage('parameter', name, known));
    if (typeof value !== 'string') throw invalidQuery(`parameter ${name} is given more than once`);
    if (shape.filters.includes(name)) filters[name] = value;
    else values[name] = value;
  }
  return {
    page: positive(values.page, 'page', 1),
    pageSize: pageSize(values.page_size),
    sort: values.sort === undefined ? [] : sortKeys(values.sort, shape.sortable),
    fields: values.fields === undefined ? undefined : projection(values.fields, shape.fields),
    filters,
  };
}

function positive(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!POSITIVE.test(value))
    throw invalidQuery(`${name} must be a whole number from 1, not ${JSON.stringify(value)}`);
  return Number(value);
}

function pageSize(value: string | undefined): number {
  const size = positive(value, 'page_size', DEFAULT_PAGE_SIZE);
  if (size > MAX_PAGE_SIZE) throw invalidQuery(`page_size must be at most ${MAX_PAGE_SIZE}, not ${size}`);
  return size;
}

/** `-created_at:name`: fields separated by `:`, `-` for descending; each field once. */
export function sortKeys(value: string, sortable: readonly string[]): SortKey[] {
  const keys: SortKey[] = [];
  for (const part of value.split(':')) {
    const descending = part.startsWith('-');
    const field = descending ? part.slice(1) : part;
    if (!sortable.includes(field)) throw invalidQuery(unknownMessage('sort field', field, sortable));
    if (keys.some((k) => k.field === field)) throw invalidQuery(`sort names ${field} more than once`);
    keys.push({ field, descending });
  }
  return keys;
}

/** `client_id,name`: known fields, each once, in the order the items carry them. */
export function projection(value: string, fields: readonly string[]): string[] {
  const named = value.split(',');
  for (const f of named) if (!fields.includes(f)) throw invalidQuery(unknownMessage('field', f, fields));
  return fields.filter((f) => named.includes(f));
}

function unknownMessage(what: string, given: string, known: readonly string[]): string {
  // A name is at most as long as the URL; the message quotes its start only.
  const name = given.slice(0, 100);
  const close = closestName(name, known);
  const hint = close === undefined ? `; known: ${known.join(', ')}` : `; did you mean ${close}?`;
  return `unknown ${what} ${JSON.stringify(name)}${hint}`;
}
