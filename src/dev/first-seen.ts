import { objectKey, type DeclaredObject } from '../store/objects.ts';
import { StringMapFile } from './string-map-file.ts';

/**
 * Dev mode's creationTimestamp: when the state folder first saw each object (issue 9 item 3). Older objects
 * hold contested identifiers and client ids (src/store/claims.ts), and a manifest's own creationTimestamp is
 * never read, so a file added later cannot take over a name in use by sorting first or by claiming to be old.
 * Milliseconds, so one reload later is later; objects first seen in the same load tie and keep file order.
 */
export function stampFirstSeen(
  objects: readonly DeclaredObject[],
  known: ReadonlyMap<string, string>,
  nowMs: number,
): { objects: DeclaredObject[]; seen: Map<string, string>; changed: boolean } {
  const now = new Date(nowMs).toISOString();
  const seen = new Map<string, string>();
  let changed = false;
  const stamped = objects.map((o) => {
    const key = objectKey(o.kind, o.metadata.namespace, o.metadata.name);
    const at = known.get(key) ?? now;
    if (!known.has(key)) changed = true;
    seen.set(key, at);
    return { ...o, metadata: { ...o.metadata, creationTimestamp: at } } as DeclaredObject;
  });
  // An object gone from the folder is forgotten: when it comes back, it is a newcomer, as in a cluster.
  return { objects: stamped, seen, changed: changed || seen.size !== known.size };
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The first-seen times of a state folder, read once and written whenever an object comes or goes. */
export class FirstSeenRecord {
  readonly #file: StringMapFile;
  #known: ReadonlyMap<string, string> | undefined;

  constructor(path: string) {
    this.#file = new StringMapFile(path, 'objects', (time) => TIME.test(time), '"<time>"');
  }

  get path(): string {
    return this.#file.path;
  }

  /** `objects` with the time each was first seen as its creationTimestamp. */
  async stamp(objects: readonly DeclaredObject[], nowMs: number): Promise<DeclaredObject[]> {
    this.#known ??= await this.#file.read();
    const result = stampFirstSeen(objects, this.#known, nowMs);
    if (result.changed) {
      await this.#file.write(result.seen);
      this.#known = result.seen;
    }
    return result.objects;
  }
}
