import type { InformerEvent, KubeObject } from './types.ts';

/** The cache key of an object: `namespace/name`, or `/name` for a cluster-scoped one. */
export function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/**
 * What changed between the cache and a fresh list, as the events a watch would have sent: new objects are
 * `added`, objects whose resourceVersion moved are `modified`, objects missing from the list are `deleted`
 * (with their last known state). An object recreated under the same name (another uid) is `deleted` then
 * `added`, so handlers never take one object for the other.
 */
export function relistEvents<T extends KubeObject>(
  cached: ReadonlyMap<string, T>,
  fresh: readonly T[],
): InformerEvent<T>[] {
  const events: InformerEvent<T>[] = [];
  const seen = new Set<string>();
  for (const object of fresh) {
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    seen.add(key);
    const previous = cached.get(key);
    if (previous === undefined) {
      events.push({ type: 'added', object });
    } else if (previous.metadata.uid !== object.metadata.uid) {
      events.push({ type: 'deleted', object: previous, previous });
      events.push({ type: 'added', object });
    } else if (previous.metadata.resourceVersion !== object.metadata.resourceVersion) {
      events.push({ type: 'modified', object, previous });
    }
  }
  for (const [key, previous] of cached) {
    if (!seen.has(key)) events.push({ type: 'deleted', object: previous, previous });
  }
  return events;
}
