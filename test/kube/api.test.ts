import { describe, expect, it } from 'vitest';
import { listPageFrom, withResourceVersion } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';

describe('listPageFrom', () => {
  it('fills in apiVersion and kind that the API server leaves out of list items', () => {
    const page = listPageFrom<KubeObject>({
      apiVersion: 'v1',
      kind: 'SecretList',
      metadata: { resourceVersion: '42' },
      items: [{ metadata: { name: 'a' } }],
    });
    expect(page).toEqual({
      items: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'a' } }],
      resourceVersion: '42',
    });
  });

  it('keeps the apiVersion and kind an item already carries', () => {
    const page = listPageFrom<KubeObject>({
      apiVersion: 'v1',
      kind: 'List',
      items: [{ apiVersion: 'latchkey.dev/v1alpha1', kind: 'OAuthClient', metadata: { name: 'a' } }],
    });
    expect(page.items[0]).toMatchObject({ apiVersion: 'latchkey.dev/v1alpha1', kind: 'OAuthClient' });
  });

  it('passes the continue token on only when more pages follow', () => {
    expect(listPageFrom({ metadata: { resourceVersion: '7', continue: 'next' } })).toEqual({
      items: [],
      resourceVersion: '7',
      continue: 'next',
    });
    expect(listPageFrom({ metadata: { resourceVersion: '7', continue: '' } })).toEqual({
      items: [],
      resourceVersion: '7',
    });
  });

  it('answers an empty page with an empty resourceVersion when the list has no metadata', () => {
    expect(listPageFrom({})).toEqual({ items: [], resourceVersion: '' });
  });
});

describe('withResourceVersion', () => {
  it('leaves the patch as it is without a resourceVersion', () => {
    const body = { spec: { a: 1 } };
    expect(withResourceVersion(body, undefined)).toBe(body);
    expect(withResourceVersion('not an object', undefined)).toBe('not an object');
  });

  it('adds metadata.resourceVersion next to the metadata the patch sets', () => {
    expect(withResourceVersion({ metadata: { labels: { a: 'b' } }, spec: {} }, '5')).toEqual({
      metadata: { labels: { a: 'b' }, resourceVersion: '5' },
      spec: {},
    });
  });

  it.each([[{ metadata: null }], [{ metadata: 'x' }], [{}]])('replaces unusable metadata in %o', (body) => {
    expect(withResourceVersion(body, '5')).toEqual({ metadata: { resourceVersion: '5' } });
  });

  it.each([[null], [[]], ['text'], [3]])('refuses %o as a merge patch with a resourceVersion', (body) => {
    expect(() => withResourceVersion(body, '5')).toThrow(TypeError);
  });
});
