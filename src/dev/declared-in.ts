import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StateFileError } from './secret-file.ts';

/** One file's declaration of an object: `key` as {@link objectLabel} names it, `file` relative to the folder. */
export interface Declaration {
  key: string;
  file: string;
}

/**
 * Which file holds each object declared in more than one (issue 9 item 3): the file that declared it first
 * keeps it, so a file added later cannot replace another team's object or relabel its Namespace by sorting
 * first or last. When the holding file stops declaring it, the next in file order takes over and keeps it.
 * `declarations` are in file order; an object no file declares is forgotten.
 */
export function decideDeclaredIn(
  declarations: readonly Declaration[],
  known: ReadonlyMap<string, string>,
): { holders: Map<string, string>; changed: boolean } {
  const declaring = new Map<string, string[]>();
  for (const { key, file } of declarations) {
    const files = declaring.get(key);
    if (files === undefined) declaring.set(key, [file]);
    else files.push(file);
  }
  const holders = new Map<string, string>();
  for (const [key, files] of declaring) {
    const held = known.get(key);
    holders.set(key, held !== undefined && files.includes(held) ? held : (files[0] as string));
  }
  const changed = holders.size !== known.size || [...holders].some(([key, file]) => known.get(key) !== file);
  return { holders, changed };
}

/** Decides who holds each object; the manifests folder asks on every load. */
export interface DeclaredInDecider {
  decide(declarations: readonly Declaration[]): Promise<ReadonlyMap<string, string>>;
}

/** Remembers holders for as long as the process runs: a folder without a state folder. */
export class DeclaredInMemory implements DeclaredInDecider {
  #known: ReadonlyMap<string, string> = new Map();

  decide(declarations: readonly Declaration[]): Promise<ReadonlyMap<string, string>> {
    this.#known = decideDeclaredIn(declarations, this.#known).holders;
    return Promise.resolve(this.#known);
  }
}

/** The holders of a state folder (`declared-in.json`), read once and written whenever one changes. */
export class DeclaredInRecord implements DeclaredInDecider {
  readonly path: string;
  #known: ReadonlyMap<string, string> | undefined;

  constructor(path: string) {
    this.path = path;
  }

  async decide(declarations: readonly Declaration[]): Promise<ReadonlyMap<string, string>> {
    this.#known ??= await this.#read();
    const result = decideDeclaredIn(declarations, this.#known);
    if (result.changed) {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const tmp = `${this.path}.${process.pid}.tmp`;
      const record = { declarations: Object.fromEntries(result.holders) };
      await writeFile(tmp, `${JSON.stringify(record, null, 1)}\n`);
      await rename(tmp, this.path);
      this.#known = result.holders;
    }
    return this.#known;
  }

  /** An unreadable record is an error, not a reason to forget which file came first. */
  async #read(): Promise<Map<string, string>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new StateFileError(`${this.path}: cannot read: ${(err as Error).message}`, { cause: err });
    }
    let declarations: unknown;
    try {
      declarations = (JSON.parse(text) as { declarations?: unknown }).declarations;
    } catch (cause) {
      throw new StateFileError(`${this.path}: not valid JSON; fix or remove it`, { cause });
    }
    const entries =
      typeof declarations === 'object' && declarations !== null ? Object.entries(declarations) : undefined;
    if (entries === undefined || !entries.every(([, v]) => typeof v === 'string' && v !== '')) {
      throw new StateFileError(
        `${this.path}: expected {"declarations": {"<kind>/<namespace>/<name>": "<file>"}}`,
      );
    }
    return new Map(entries as [string, string][]);
  }
}
