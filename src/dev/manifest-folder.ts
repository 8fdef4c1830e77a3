import { readFile, stat } from 'node:fs/promises';
import { relative } from 'node:path';
import {
  checkFileYielding,
  combineFiles,
  DEFAULT_MANIFEST_LIMITS,
  isFileRefusal,
  manifestFiles,
  objectLabel,
  readRefusal,
  type LoadedManifests,
  type ManifestLimits,
  type ManifestProblem,
} from '../manifests/index.ts';
import type { DeclaredObject, SecretData, WorldInputs } from '../store/objects.ts';

/** How a problem names an object; used to match problems with the objects they concern. */
function identity(o: DeclaredObject): string {
  return objectLabel(o.kind, o.metadata.namespace, o.metadata.name);
}

export interface ManifestFolderOptions {
  limits?: ManifestLimits;
  /**
   * Hands the event loop back between documents so the servers keep answering during a load; default the
   * next turn of the loop (`setImmediate`). Tests pass one that waits for a request to be answered.
   */
  yieldNow?: () => Promise<void>;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface FolderLoad {
  world: WorldInputs;
  problems: ManifestProblem[];
}

/**
 * The manifests of a folder, read again on every change. A file that becomes invalid keeps its
 * last good objects (an object that fails validation keeps its previous version; a document
 * that cannot be read at all keeps all of the file's), so a typo never takes an API offline.
 */
export class ManifestFolder {
  readonly dir: string;
  readonly #lastGood = new Map<string, Map<string, DeclaredObject>>();
  readonly #limits: ManifestLimits;
  readonly #yieldNow: () => Promise<void>;

  constructor(dir: string, options: ManifestFolderOptions = {}) {
    this.dir = dir;
    this.#limits = options.limits ?? DEFAULT_MANIFEST_LIMITS;
    this.#yieldNow = options.yieldNow ?? nextTurn;
  }

  async load(): Promise<FolderLoad> {
    const files = await manifestFiles(this.dir);
    const problems: ManifestProblem[] = [];
    const objects = new Map<string, DeclaredObject>();
    const secrets = new Map<string, SecretData>();
    const namespaces = new Map<string, Record<string, string>>();
    for (const path of [...this.#lastGood.keys()]) if (!files.includes(path)) this.#lastGood.delete(path);

    let folderBytes = 0;
    for (const path of files) {
      const file = relative(process.cwd(), path) || path;
      const read = await this.#read(path, file, folderBytes);
      if (read === undefined) continue;
      folderBytes += read.bytes;
      const result = read.result;
      problems.push(...result.problems);

      const now = new Map(result.objects.map((o) => [identity(o), o]));
      const named = new Set(result.problems.map((p) => p.object));
      // A document that names no object (unreadable YAML, no metadata) may be any of the file's objects.
      // A refused file (too large, too many documents) keeps all of its last good objects too.
      const wholeDocumentProblem = result.problems.some(
        (p) => p.object.startsWith('document ') || isFileRefusal(p),
      );
      for (const [id, previous] of this.#lastGood.get(path) ?? []) {
        if (!now.has(id) && (named.has(id) || wholeDocumentProblem)) now.set(id, previous);
      }
      this.#lastGood.set(path, now);

      for (const [id, o] of now) {
        const first = objects.get(id);
        if (first) {
          problems.push({
            file,
            line: o.origin?.line ?? 1,
            object: id,
            field: '',
            message: `also declared in ${first.origin?.file ?? 'another file'}; the first declaration is used`,
          });
          continue;
        }
        objects.set(id, o);
      }
      for (const s of result.secrets) secrets.set(`${s.namespace}/${s.name}`, s);
      for (const ns of result.namespaces) namespaces.set(ns.name, ns.labels);
    }
    return { world: { objects: [...objects.values()], secrets, namespaces }, problems };
  }

  /** One file, measured before it is read; undefined when it went away since the listing. */
  async #read(
    path: string,
    file: string,
    folderBytes: number,
  ): Promise<{ bytes: number; result: LoadedManifests } | undefined> {
    let text: string;
    try {
      const refused = readRefusal(file, (await stat(path)).size, folderBytes, this.#limits);
      if (refused !== undefined) {
        return { bytes: 0, result: { objects: [], secrets: [], namespaces: [], problems: [refused] } };
      }
      text = await readFile(path, 'utf8');
    } catch (err) {
      // Deleted between the listing and the read: the next change event reloads.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const checked = await checkFileYielding(text, file, this.#limits, this.#yieldNow);
    return { bytes: Buffer.byteLength(text), result: combineFiles([checked]) };
  }
}
