import { describe, expect, it } from 'vitest';
import { ManagementError } from '../../src/management/errors.ts';
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  parseListQuery,
  type ListQuery,
  type ListShape,
  type RawQuery,
} from '../../src/management/list-query.ts';

const SHAPE: ListShape = {
  fields: ['client_id', 'namespace', 'name', 'created_at'],
  sortable: ['client_id', 'name', 'created_at'],
  filters: ['namespace', 'search'],
};

const DEFAULTS: ListQuery = {
  page: 1,
  pageSize: DEFAULT_PAGE_SIZE,
  sort: [],
  fields: undefined,
  filters: {},
};

const accepted: [string, RawQuery, Partial<ListQuery>][] = [
  ['nothing: the first page of 20, default order, every field', {}, {}],
  ['page and page_size', { page: '3', page_size: '100' }, { page: 3, pageSize: MAX_PAGE_SIZE }],
  ['sort by one field', { sort: 'name' }, { sort: [{ field: 'name', descending: false }] }],
  [
    'sort by several, - for descending',
    { sort: '-created_at:name' },
    {
      sort: [
        { field: 'created_at', descending: true },
        { field: 'name', descending: false },
      ],
    },
  ],
  ['fields, returned in the items’ order', { fields: 'name,client_id' }, { fields: ['client_id', 'name'] }],
  ['filters', { namespace: 'team-a', search: 'Pay' }, { filters: { namespace: 'team-a', search: 'Pay' } }],
  ['an absent value is no parameter', { page: undefined }, {}],
];

describe('parseListQuery accepts the list conventions', () => {
  it.each(accepted)('%s', (_, query, expected) => {
    expect(parseListQuery(query, SHAPE)).toEqual({ ...DEFAULTS, ...expected });
  });
});

const refused: [string, RawQuery, string][] = [
  ['page size over 100', { page_size: '101' }, 'page_size must be at most 100, not 101'],
  ['page 0', { page: '0' }, 'page must be a whole number from 1, not "0"'],
  ['a negative page size', { page_size: '-5' }, 'page_size must be a whole number from 1, not "-5"'],
  ['a fraction', { page: '1.5' }, 'page must be a whole number from 1, not "1.5"'],
  ['a huge page', { page: '99999999999' }, 'page must be a whole number from 1, not "99999999999"'],
  [
    'an unknown sort field, with the closest',
    { sort: '-nmae' },
    'unknown sort field "nmae"; did you mean name?',
  ],
  [
    'a field that exists but does not sort',
    { sort: 'namespace' },
    'unknown sort field "namespace"; known: client_id, name, created_at',
  ],
  ['an empty sort field', { sort: 'name:' }, 'unknown sort field ""; known: client_id, name, created_at'],
  ['a sort field twice', { sort: 'name:-name' }, 'sort names name more than once'],
  [
    'an unknown field',
    { fields: 'client_id,secret' },
    'unknown field "secret"; known: client_id, namespace, name, created_at',
  ],
  ['an unknown parameter', { pgae: '2' }, 'unknown parameter "pgae"; did you mean page?'],
  ['a repeated parameter', { page: ['1', '2'] }, 'parameter page is given more than once'],
];

describe('parseListQuery refuses with a 400 naming what is wrong', () => {
  it.each(refused)('%s', (_, query, message) => {
    let thrown: unknown;
    try {
      parseListQuery(query, SHAPE);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ManagementError);
    expect(thrown).toMatchObject({ status: 400, code: 'invalid_query', message });
  });

  it('quotes at most 100 characters of a name it does not know', () => {
    expect(() => parseListQuery({ fields: 'x'.repeat(5000) }, SHAPE)).toThrow(
      `unknown field "${'x'.repeat(100)}"`,
    );
  });

  it('takes only fields on a get', () => {
    expect(parseListQuery({ fields: 'name' }, SHAPE, ['fields']).fields).toEqual(['name']);
    expect(() => parseListQuery({ page: '2' }, SHAPE, ['fields'])).toThrow('unknown parameter "page"');
  });
});
