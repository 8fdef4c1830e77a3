/**
 * The informer's decisions as pure steps: what a watch event does to the cache, which error an ERROR event
 * stands for, and how it retries. How they combine is in informer-backoff.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { KubeConnectionError } from '../../src/kube/errors.ts';
import { cacheChange, watchTimeoutSeconds } from '../../src/kube/informer.ts';
import { KubeApiError, type KubeObject } from '../../src/kube/types.ts';
import { retryAfterClose, retryAfterError, watchErrorOf } from '../../src/kube/watch-retry.ts';

const cm = (name: string, rv: string, labels: Record<string, string> = {}): KubeObject => ({
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', uid: name, resourceVersion: rv, labels },
});
const all = () => true;
const labelled = (object: KubeObject) => object.metadata.labels?.['keep'] === 'yes';
const same = (object: KubeObject) => object;
const BACKOFF = { initialMs: 200, maxMs: 30_000 };
const noJitter = () => 0;

describe('cacheChange', () => {
  const before = cm('a', '1', { keep: 'yes' });
  const after = cm('a', '2', { keep: 'yes' });
  const unlabelled = cm('a', '2');

  it.each([
    ['ADDED', after, undefined, all, { type: 'added', object: after }],
    ['MODIFIED', after, undefined, all, { type: 'added', object: after }],
    ['ADDED', after, before, all, { type: 'modified', object: after, previous: before }],
    ['MODIFIED', after, before, all, { type: 'modified', object: after, previous: before }],
    ['DELETED', after, before, all, { type: 'deleted', object: after, previous: before }],
    ['DELETED', after, undefined, all, undefined],
    ['MODIFIED', unlabelled, before, labelled, { type: 'deleted', object: before, previous: before }],
    ['MODIFIED', unlabelled, undefined, labelled, undefined],
    ['MODIFIED', after, undefined, labelled, { type: 'added', object: after }],
  ] as const)('%s of %o over %o (filter %o) is %o', (type, raw, previous, accept, expected) => {
    expect(cacheChange(type, raw, previous, accept, same)).toEqual(expected);
  });

  it('keeps what the transform keeps, also of a deleted object', () => {
    const keep = (object: KubeObject): KubeObject => ({ metadata: object.metadata });
    expect(cacheChange('ADDED', after, undefined, all, keep)).toEqual({
      type: 'added',
      object: { metadata: after.metadata },
    });
    expect(cacheChange('DELETED', after, before, all, keep)).toEqual({
      type: 'deleted',
      object: { metadata: after.metadata },
      previous: before,
    });
  });
});

describe('watchErrorOf', () => {
  it('makes an ERROR event with code 410 a Gone that leads to a new list', () => {
    const error = watchErrorOf({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old' });
    expect(error).not.toBeInstanceOf(KubeApiError);
    expect(error.message).toBe('too old');
    expect(retryAfterError(error, false, { failures: 0, gones: 0 }, BACKOFF, noJitter).relist).toBe(true);
  });

  it('makes any other ERROR event a KubeApiError with its code and reason', () => {
    const error = watchErrorOf({ code: 500, reason: 'InternalError', message: 'etcd' });
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error).toMatchObject({ status: 500, reason: 'InternalError', message: 'etcd' });
  });

  it('answers 500 Unknown for an ERROR event without a Status', () => {
    expect(watchErrorOf({})).toMatchObject({ status: 500, reason: 'Unknown', message: '' });
  });
});

describe('retryAfterError', () => {
  const gone = new KubeApiError(410, 'Expired', 'too old');

  it.each([
    [0, 0],
    [1, 200],
    [2, 400],
    [3, 800],
  ])('after %i 410s in a row during a watch, lists again after %i ms', (gones, delay) => {
    expect(retryAfterError(gone, false, { failures: 3, gones }, BACKOFF, noJitter)).toEqual({
      relist: true,
      reason: 'gone',
      delay,
      counts: { failures: 3, gones: gones + 1 },
    });
  });

  it('treats a 410 while listing as any other failure', () => {
    expect(retryAfterError(gone, true, { failures: 1, gones: 0 }, BACKOFF, noJitter)).toEqual({
      relist: true,
      reason: 'Error: too old',
      delay: 400,
      counts: { failures: 2, gones: 0 },
    });
  });

  it.each([
    [
      false,
      new KubeConnectionError('GET /x: connect ECONNREFUSED'),
      'KubeConnectionError: GET /x: connect ECONNREFUSED',
    ],
    [true, new KubeApiError(403, 'Forbidden', 'no'), 'Error: no'],
    [false, 'a string', 'a string'],
  ])('keeps listing=%s and backs off on %o', (listing, error, reason) => {
    expect(retryAfterError(error, listing, { failures: 4, gones: 2 }, BACKOFF, noJitter)).toEqual({
      relist: listing,
      reason,
      delay: 3200,
      counts: { failures: 5, gones: 2 },
    });
  });

  it('cuts a long reason at 300 characters', () => {
    const { reason } = retryAfterError(
      new Error('x'.repeat(500)),
      false,
      { failures: 0, gones: 0 },
      BACKOFF,
      noJitter,
    );
    expect(reason).toBe(`Error: ${'x'.repeat(293)}…`);
  });
});

describe('retryAfterClose', () => {
  it('backs off without a new list when a watch closed at once without an event', () => {
    expect(retryAfterClose({ failures: 2, gones: 1 }, BACKOFF, noJitter)).toEqual({
      relist: false,
      reason: 'closed',
      delay: 800,
      counts: { failures: 3, gones: 1 },
    });
  });
});

describe('watchTimeoutSeconds', () => {
  it.each([
    [0, 300],
    [0.5, 450],
    [0.999_999, 599],
  ])('with random %d asks for %i s', (random, seconds) => {
    expect(watchTimeoutSeconds(() => random)).toBe(seconds);
  });
});
