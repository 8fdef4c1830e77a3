import type { Resolution } from '../store/compile.ts';
import type { ObjectKey } from '../store/objects.ts';
import { secretKey } from '../store/objects.ts';

/** What differs between the caches one rebuild read and those the rebuild before it read. */
export interface CacheChanges {
  /**
   * Keys (`kind/namespace/name`) of objects whose cached object is not the one the previous rebuild read: new,
   * edited, status written, or listed again. An informer replaces an object on each change, never edits it.
   */
  objects: ReadonlySet<string>;
  /** `namespace/name` of referenced Secrets that changed, appeared or went away. */
  secrets: ReadonlySet<string>;
}

/**
 * Whether two resolutions say the same: every field, and the conditions in order. Any field the store adds
 * later is compared too; one that is not a plain value compares unequal, which only costs a re-check.
 */
export function sameResolution(a: Resolution, b: Resolution): boolean {
  if (a === b) return true;
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  let fields = 0;
  for (const key in x) {
    fields++;
    if (!Object.hasOwn(y, key)) return false;
    if (key === 'conditions') {
      if (!sameConditions(a.conditions, b.conditions)) return false;
    } else if (x[key] !== y[key]) return false;
  }
  return Object.keys(y).length === fields;
}

function sameConditions(a: Resolution['conditions'], b: Resolution['conditions']): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const c = a[i] as Resolution['conditions'][number];
    const d = b[i] as Resolution['conditions'][number];
    if (c.type !== d.type || c.status !== d.status || c.reason !== d.reason || c.message !== d.message)
      return false;
  }
  return true;
}

/** `namespace/name` of the Secrets whose decoded value is not the same object in both rebuilds' inputs. */
export function changedSecrets(
  previous: ReadonlyMap<string, unknown>,
  current: ReadonlyMap<string, unknown>,
): Set<string> {
  const changed = new Set<string>();
  for (const [key, value] of current) if (previous.get(key) !== value) changed.add(key);
  for (const key of previous.keys()) if (!current.has(key)) changed.add(key);
  return changed;
}

/**
 * The objects whose written status or Secret may no longer match the decision, after a rebuild that follows
 * one already checked: everything the check of an object reads is its cached object (spec, metadata, status),
 * its resolution, and for an OAuthClient its Secret, so an object none of these changed for would be found as
 * it was found last time. Connections are always included: their check also reads whether the operator has
 * contacted the issuer yet, which no cache records, and they are few. Time-driven work (secret rotation, the
 * end of a grace period) is not found here: it is scheduled on the queue when an object is checked.
 */
export function keysToRecheck(
  previous: ReadonlyMap<ObjectKey, Resolution>,
  current: ReadonlyMap<ObjectKey, Resolution>,
  changes: CacheChanges,
): ObjectKey[] {
  const keys: ObjectKey[] = [];
  const secretsChanged = changes.secrets.size > 0;
  for (const [key, r] of current) {
    const before = previous.get(key);
    if (
      r.kind === 'Connection' ||
      before === undefined ||
      changes.objects.has(key) ||
      !sameResolution(before, r) ||
      (secretsChanged &&
        r.kind === 'OAuthClient' &&
        r.secretName !== undefined &&
        changes.secrets.has(secretKey(r.namespace, r.secretName)))
    )
      keys.push(key);
  }
  return keys;
}
