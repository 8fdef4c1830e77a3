import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { manifestFiles, objectLabel, parseManifests, type ManifestProblem } from '../manifests/index.ts';
import type { DeclaredObject, SecretData, WorldInputs } from '../store/objects.ts';

/** How a problem names an object; used to match problems with the objects they concern. */
function identity(o: DeclaredObject): string {
  return objectLabel(o.kind, o.metadata.namespace, o.metadata.name);
}

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

  constructor(dir: string) {
    this.dir = dir;
  }

  async load(): Promise<FolderLoad> {
    const files = await manifestFiles(this.dir);
    const problems: ManifestProblem[] = [];
    const objects = new Map<string, DeclaredObject>();
    const secrets = new Map<string, SecretData>();
    const namespaces = new Map<string, Record<string, string>>();
    for (const path of [...this.#lastGood.keys()]) if (!files.includes(path)) this.#lastGood.delete(path);

    for (const path of files) {
      const file = relative(process.cwd(), path) || path;
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        // Deleted between the listing and the read: the next change event reloads.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const result = parseManifests(text, file);
      problems.push(...result.problems);

      const now = new Map(result.objects.map((o) => [identity(o), o]));
      const named = new Set(result.problems.map((p) => p.object));
      // A document that names no object (unreadable YAML, no metadata) may be any of the file's objects.
      const wholeDocumentProblem = result.problems.some((p) => p.object.startsWith('document '));
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
}
