import { StringMapFile } from './string-map-file.ts';

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
  readonly #file: StringMapFile;
  #known: ReadonlyMap<string, string> | undefined;

  constructor(path: string) {
    this.#file = new StringMapFile(path, 'declarations', (file) => file !== '', '"<file>"');
  }

  get path(): string {
    return this.#file.path;
  }

  async decide(declarations: readonly Declaration[]): Promise<ReadonlyMap<string, string>> {
    this.#known ??= await this.#file.read();
    const result = decideDeclaredIn(declarations, this.#known);
    if (result.changed) {
      await this.#file.write(result.holders);
      this.#known = result.holders;
    }
    return this.#known;
  }
}
