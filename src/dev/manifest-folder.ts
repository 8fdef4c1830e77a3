import { readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  checkFileYielding,
  combineFiles,
  DEFAULT_MANIFEST_LIMITS,
  isFileRefusal,
  manifestFiles,
  readRefusal,
  type ManifestLimits,
  type ManifestProblem,
} from '../manifests/index.ts';
import type { FileManifests } from '../manifests/parse.ts';
import type { DeclaredObject, SecretData, WorldInputs } from '../store/objects.ts';
import { DeclaredInMemory, type DeclaredInDecider } from './declared-in.ts';

export interface ManifestFolderOptions {
  limits?: ManifestLimits;
  /**
   * Hands the event loop back between documents so the servers keep answering during a load; default the
   * next turn of the loop (`setImmediate`). Tests pass one that waits for a request to be answered.
   */
  yieldNow?: () => Promise<void>;
  /** Which file holds an object declared in several; default: remembered while the process runs. */
  declaredIn?: DeclaredInDecider;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface FolderLoad {
  world: WorldInputs;
  problems: ManifestProblem[];
}

type Declared = FileManifests['declared'][number];

/** One file's declarations, each object once: `name` relative to the folder, `file` as problems name it. */
interface FileDeclarations {
  name: string;
  file: string;
  declared: Map<string, Declared>;
}

/**
 * The manifests of a folder, read again on every change. A file that becomes invalid keeps its
 * last good declarations (an object that fails validation keeps its previous version; a document
 * that cannot be read at all keeps all of the file's), so a typo never takes an API offline.
 * An object declared in several files is taken from the file that declared it first (src/dev/declared-in.ts).
 */
export class ManifestFolder {
  readonly dir: string;
  readonly #lastGood = new Map<string, Map<string, Declared>>();
  readonly #limits: ManifestLimits;
  readonly #yieldNow: () => Promise<void>;
  readonly #declaredIn: DeclaredInDecider;

  constructor(dir: string, options: ManifestFolderOptions = {}) {
    this.dir = dir;
    this.#limits = options.limits ?? DEFAULT_MANIFEST_LIMITS;
    this.#yieldNow = options.yieldNow ?? nextTurn;
    this.#declaredIn = options.declaredIn ?? new DeclaredInMemory();
  }

  async load(): Promise<FolderLoad> {
    const paths = await manifestFiles(this.dir);
    const problems: ManifestProblem[] = [];
    const files: FileDeclarations[] = [];
    for (const path of [...this.#lastGood.keys()]) if (!paths.includes(path)) this.#lastGood.delete(path);

    let folderBytes = 0;
    for (const path of paths) {
      const file = relative(process.cwd(), path) || path;
      const read = await this.#read(path, file, folderBytes);
      if (read === undefined) continue;
      folderBytes += read.bytes;
      problems.push(...read.problems);
      const declared = this.#withLastGood(path, read.declared, read.problems);
      files.push({ name: relative(this.dir, path), file, declared });
    }
    const holders = await this.#declaredIn.decide(
      files.flatMap((f) => [...f.declared.keys()].map((key) => ({ key, file: f.name }))),
    );
    return this.#world(files, holders, problems);
  }

  /** This load's declarations of a file, with the last good one of each object whose document is invalid now. */
  #withLastGood(
    path: string,
    declared: Map<string, Declared>,
    problems: readonly ManifestProblem[],
  ): Map<string, Declared> {
    const named = new Set(problems.map((p) => p.object));
    // A document that names no object (unreadable YAML, no metadata) may be any of the file's objects.
    // A refused file (too large, too many documents) keeps all of its last good objects too.
    const wholeDocumentProblem = problems.some((p) => p.object.startsWith('document ') || isFileRefusal(p));
    for (const [id, previous] of this.#lastGood.get(path) ?? []) {
      if (!declared.has(id) && (named.has(id) || wholeDocumentProblem)) declared.set(id, previous);
    }
    this.#lastGood.set(path, declared);
    return declared;
  }

  /** The declarations of the files that hold them; each other one is a problem naming the holder. */
  #world(
    files: readonly FileDeclarations[],
    holders: ReadonlyMap<string, string>,
    problems: ManifestProblem[],
  ): FolderLoad {
    const objects: DeclaredObject[] = [];
    const secrets = new Map<string, SecretData>();
    const namespaces = new Map<string, Record<string, string>>();
    for (const { name, file, declared } of files) {
      for (const [id, d] of declared) {
        const holder = holders.get(id);
        if (holder !== name) {
          const where =
            holder === undefined ? 'another file' : relative(process.cwd(), join(this.dir, holder));
          problems.push({
            file,
            line: d.origin.line,
            object: id,
            field: '',
            message: `${describe(id)} is already declared in ${where}: this declaration is ignored`,
          });
          continue;
        }
        const { declaration } = d;
        if (declaration.type === 'object') objects.push(declaration.value);
        else if (declaration.type === 'secret') {
          secrets.set(`${declaration.value.namespace}/${declaration.value.name}`, declaration.value);
        } else namespaces.set(declaration.value.name, declaration.value.labels);
      }
    }
    return { world: { objects, secrets, namespaces }, problems };
  }

  /** One file, measured before it is read, each object once; undefined when it went away since the listing. */
  async #read(
    path: string,
    file: string,
    folderBytes: number,
  ): Promise<{ bytes: number; declared: Map<string, Declared>; problems: ManifestProblem[] } | undefined> {
    let text: string;
    try {
      const refused = readRefusal(file, (await stat(path)).size, folderBytes, this.#limits);
      if (refused !== undefined) return { bytes: 0, declared: new Map(), problems: [refused] };
      text = await readFile(path, 'utf8');
    } catch (err) {
      // Deleted between the listing and the read: the next change event reloads.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const checked = await checkFileYielding(text, file, this.#limits, this.#yieldNow);
    // combineFiles reports an object declared twice in this file; the first of them is the file's.
    const declared = new Map<string, Declared>();
    for (const d of checked.declared) if (!declared.has(d.label)) declared.set(d.label, d);
    return { bytes: Buffer.byteLength(text), declared, problems: combineFiles([checked]).problems };
  }
}

/** `OAuthClient/team-a/payments` → `OAuthClient team-a/payments`, as dev mode's other lines name objects. */
function describe(id: string): string {
  const slash = id.indexOf('/');
  return slash < 0 ? id : `${id.slice(0, slash)} ${id.slice(slash + 1)}`;
}
