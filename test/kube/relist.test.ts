import { describe, expect, it } from 'vitest';
import { objectKey, relistEvents } from '../../src/kube/relist.ts';
import type { KubeObject } from '../../src/kube/types.ts';

const obj = (name: string, rv: string, uid = `uid-${name}`): KubeObject => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv, uid },
});
const cacheOf = (...objects: KubeObject[]) =>
  new Map(objects.map((o) => [objectKey(o.metadata.namespace, o.metadata.name), o]));

describe('relistEvents', () => {
  it('reports new objects as added, moved ones as modified and missing ones as deleted', () => {
    const kept = obj('kept', '1');
    const changed = obj('changed', '1');
    const gone = obj('gone', '1');
    const changedNow = obj('changed', '5');
    const fresh = obj('fresh', '6');
    const events = relistEvents(cacheOf(kept, changed, gone), [kept, changedNow, fresh]);
    expect(events).toEqual([
      { type: 'modified', object: changedNow, previous: changed },
      { type: 'added', object: fresh },
      { type: 'deleted', object: gone, previous: gone },
    ]);
  });

  it('reports an object recreated under the same name as deleted then added', () => {
    const before = obj('x', '1', 'uid-1');
    const after = obj('x', '9', 'uid-2');
    expect(relistEvents(cacheOf(before), [after])).toEqual([
      { type: 'deleted', object: before, previous: before },
      { type: 'added', object: after },
    ]);
  });

  it('reports nothing when nothing changed, and everything as added into an empty cache', () => {
    const a = obj('a', '1');
    expect(relistEvents(cacheOf(a), [a])).toEqual([]);
    expect(relistEvents(new Map(), [a])).toEqual([{ type: 'added', object: a }]);
  });

  it('keys cluster-scoped objects apart from namespaced ones of the same name', () => {
    expect(objectKey(undefined, 'a')).toBe('/a');
    expect(objectKey('ns', 'a')).toBe('ns/a');
  });
});
