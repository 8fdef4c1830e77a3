import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StateFileError } from './secret-file.ts';

/**
 * A map of strings kept in the state folder as `{"<field>": {"<key>": "<value>"}}`: the first-seen times and
 * the declaring files of dev mode (issue 9 item 3). An unreadable or malformed file is an error, never a
 * reason to start from nothing: forgetting would let a newcomer take over what another team holds.
 */
export class StringMapFile {
  readonly path: string;
  readonly #field: string;
  readonly #valid: (value: string) => boolean;
  readonly #shape: string;

  /**
   * @param valid which values the file may hold
   * @param shape how a value looks, for the error message (`"<time>"`)
   */
  constructor(path: string, field: string, valid: (value: string) => boolean, shape: string) {
    this.path = path;
    this.#field = field;
    this.#valid = valid;
    this.#shape = shape;
  }

  /** The map in the file; empty when there is no file yet. */
  async read(): Promise<Map<string, string>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new StateFileError(`${this.path}: cannot read: ${(err as Error).message}`, { cause: err });
    }
    let held: unknown;
    try {
      held = (JSON.parse(text) as Record<string, unknown>)[this.#field];
    } catch (cause) {
      throw new StateFileError(`${this.path}: not valid JSON; fix or remove it`, { cause });
    }
    const entries = typeof held === 'object' && held !== null ? Object.entries(held) : undefined;
    if (entries === undefined || !entries.every(([, v]) => typeof v === 'string' && this.#valid(v))) {
      throw new StateFileError(
        `${this.path}: expected {"${this.#field}": {"<kind>/<namespace>/<name>": ${this.#shape}}}`,
      );
    }
    return new Map(entries as [string, string][]);
  }

  /** Replaces the file at once (write a temporary file, then rename), so a crash leaves the old or the new. */
  async write(map: ReadonlyMap<string, string>): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ [this.#field]: Object.fromEntries(map) }, null, 1)}\n`);
    await rename(tmp, this.path);
  }
}
