import { KIND_NAMES, type KindName } from '../api/kinds.ts';
import type { Informer, KubeObject } from '../kube/types.ts';
import { connectionSecretKey } from '../store/compile/connection-sign-in.ts';
import { secretNameOf } from '../store/names.ts';
import type { DeclaredObject, InvalidObject } from '../store/objects.ts';
import { objectKey, secretKey } from '../store/objects.ts';
import { declaredFrom } from './world.ts';

/** One informer per kind, covering every watched namespace. */
export type KindInformers = { [K in KindName]: Informer<KubeObject> };

/** A declared object as the last read took it from its informer, with its parsed spec. */
interface Tracked {
  object: KubeObject;
  declared: DeclaredObject | InvalidObject;
  /** `namespace/name` of the Secret a valid OAuthClient or Connection names. */
  secretKey?: string;
  /** A newer version parsed between reads (a reconcile reads the cache as it is now). */
  latest?: { resourceVersion: string; declared: DeclaredObject | InvalidObject };
  /** The read that last saw it: an object no read sees any more was deleted. */
  seen: number;
}

/** What one read of the kind informers found. */
export interface DeclaredRead {
  objects: DeclaredObject[];
  invalid: InvalidObject[];
  /** Keys (`kind/namespace/name`) of objects whose cached object is not the one the previous read took. */
  changed: Set<string>;
  /** `namespace/name` of every Secret a valid OAuthClient (its credentials) or Connection (`clientSecretRef`) names. */
  referenced: Set<string>;
}

/**
 * Every declared object by key, as the last read took it from the caches. Parsing thousands of unchanged specs
 * on every rebuild would dominate it, and which objects changed tells the rebuild which ones to check.
 */
export class DeclaredCache {
  readonly #tracked = new Map<string, Tracked>();
  /** The same entries by the cached object they last read: an unchanged object is found without its key. */
  readonly #trackedByObject = new WeakMap<KubeObject, Tracked>();
  #reads = 0;

  /** The object's spec parsed by its kind's schema, reused while its resourceVersion stays the same. */
  declared(kind: KindName, o: KubeObject): DeclaredObject | InvalidObject {
    const t = this.#tracked.get(objectKey(kind, o.metadata.namespace ?? '', o.metadata.name));
    if (t === undefined) return declaredFrom(kind, o);
    const version = o.metadata.resourceVersion;
    if (t.object === o || (version !== undefined && version === t.object.metadata.resourceVersion))
      return t.declared;
    if (version !== undefined && t.latest?.resourceVersion === version) return t.latest.declared;
    const declared = declaredFrom(kind, o);
    if (version !== undefined) t.latest = { resourceVersion: version, declared };
    return declared;
  }

  /** Reads every kind's cache: parses what changed since the last read and forgets what is gone. */
  read(informers: KindInformers): DeclaredRead {
    const read = ++this.#reads;
    const found: DeclaredRead = { objects: [], invalid: [], changed: new Set(), referenced: new Set() };
    let count = 0;
    for (const kind of KIND_NAMES) {
      for (const o of informers[kind].list()) {
        count++;
        const t = this.#track(kind, o, found.changed);
        t.seen = read;
        const d = t.declared;
        if (!('spec' in d)) found.invalid.push(d);
        else found.objects.push(d);
        if (t.secretKey !== undefined) found.referenced.add(t.secretKey);
      }
    }
    if (this.#tracked.size > count) this.#forgetUnseen(read);
    return found;
  }

  /** The entry of a cached object, parsed again (and its key added to `changed`) when the object changed. */
  #track(kind: KindName, o: KubeObject, changed: Set<string>): Tracked {
    let t = this.#trackedByObject.get(o);
    if (t?.object === o) return t;
    const key = objectKey(kind, o.metadata.namespace ?? '', o.metadata.name);
    t = this.#tracked.get(key);
    if (t === undefined) {
      t = { object: o, declared: declaredFrom(kind, o), seen: this.#reads };
      this.#tracked.set(key, t);
    } else {
      t.declared = this.declared(kind, o);
      t.object = o;
      delete t.latest;
    }
    const d = t.declared;
    const named = 'spec' in d ? secretNamedBy(d) : undefined;
    if (named !== undefined) t.secretKey = named;
    else delete t.secretKey;
    this.#trackedByObject.set(o, t);
    changed.add(key);
    return t;
  }

  #forgetUnseen(read: number): void {
    for (const [key, t] of this.#tracked) {
      if (t.seen === read) continue;
      this.#tracked.delete(key);
      this.#trackedByObject.delete(t.object);
    }
  }
}

/** The Secret an object reads: an OAuthClient's credentials, a Connection's upstream client secret. */
function secretNamedBy(d: DeclaredObject): string | undefined {
  if (d.kind === 'OAuthClient') return secretKey(d.metadata.namespace, secretNameOf(d));
  if (d.kind === 'Connection') return connectionSecretKey(d);
  return undefined;
}
