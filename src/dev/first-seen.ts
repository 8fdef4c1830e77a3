import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { objectKey, type DeclaredObject } from '../store/objects.ts';
import { StateFileError } from './secret-file.ts';

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
  readonly path: string;
  #known: ReadonlyMap<string, string> | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** `objects` with the time each was first seen as its creationTimestamp. */
  async stamp(objects: readonly DeclaredObject[], nowMs: number): Promise<DeclaredObject[]> {
    this.#known ??= await this.#read();
    const result = stampFirstSeen(objects, this.#known, nowMs);
    if (result.changed) {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify({ objects: Object.fromEntries(result.seen) }, null, 1)}\n`);
      await rename(tmp, this.path);
      this.#known = result.seen;
    }
    return result.objects;
  }

  /** An unreadable record is an error, not a reason to forget who came first. */
  async #read(): Promise<Map<string, string>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new StateFileError(`${this.path}: cannot read: ${(err as Error).message}`, { cause: err });
    }
    let objects: unknown;
    try {
      objects = (JSON.parse(text) as { objects?: unknown }).objects;
    } catch (cause) {
      throw new StateFileError(`${this.path}: not valid JSON; fix or remove it`, { cause });
    }
    const entries = typeof objects === 'object' && objects !== null ? Object.entries(objects) : undefined;
    if (entries === undefined || !entries.every(([, v]) => typeof v === 'string' && TIME.test(v))) {
      throw new StateFileError(`${this.path}: expected {"objects": {"<kind>/<namespace>/<name>": "<time>"}}`);
    }
    return new Map(entries as [string, string][]);
  }
}
