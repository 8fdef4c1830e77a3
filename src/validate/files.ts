import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { ConfigError } from '../config-error.ts';
import {
  DEFAULT_MANIFEST_LIMITS,
  manifestFiles,
  readRefusal,
  type ManifestLimits,
} from '../manifests/index.ts';
import { isExcluded } from './exclude.ts';
import type { ManifestText } from './validate.ts';

/** How {@link readManifestInputs} reads. */
export interface ReadOptions {
  /** `--exclude` patterns (src/validate/exclude.ts). */
  exclude?: readonly string[];
  /** Standard input as text, for the path `-`; reads at most a little over `maxBytes`. */
  readStdin?: (maxBytes: number) => Promise<string>;
  limits?: ManifestLimits;
}

/** What problems call standard input. */
export const STDIN_NAME = '<stdin>';

/**
 * Reads the files named and every `*.yaml`/`*.yml` below the folders named (as dev mode reads a folder),
 * each once, leaving out what `exclude` matches; `-` reads standard input, named {@link STDIN_NAME}. Files
 * keep the names they were given by (`examples/billing.yaml`), so problems point where the user looks.
 * A path that does not exist, a folder without manifests (or whose every manifest is excluded), nothing
 * left to check, or input over the size limits ({@link DEFAULT_MANIFEST_LIMITS}) are usage errors.
 */
export async function readManifestInputs(
  paths: readonly string[],
  cwd: string,
  options: ReadOptions = {},
): Promise<ManifestText[]> {
  const limits = options.limits ?? DEFAULT_MANIFEST_LIMITS;
  const exclude = options.exclude ?? [];
  const seen = new Set<string>();
  const inputs: ManifestText[] = [];
  let folderBytes = 0;
  const accept = (file: string, text: string) => {
    const bytes = Buffer.byteLength(text);
    const refused = readRefusal(file, bytes, folderBytes, limits);
    if (refused !== undefined) throw new ConfigError(file, refused.message);
    folderBytes += bytes;
    inputs.push({ file, text });
  };
  const add = async (absolute: string, file: string) => {
    if (seen.has(absolute)) return;
    seen.add(absolute);
    const refused = readRefusal(file, (await stat(absolute)).size, folderBytes, limits);
    if (refused !== undefined) throw new ConfigError(file, refused.message);
    accept(file, await readFile(absolute, 'utf8'));
  };
  for (const path of paths) {
    if (path === '-') {
      if (seen.has(path)) continue;
      seen.add(path);
      accept(STDIN_NAME, await (options.readStdin ?? readStandardInput)(limits.maxFileBytes));
      continue;
    }
    const absolute = resolve(cwd, path);
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(absolute)).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ConfigError(path, 'no such file or folder');
      }
      throw new Error(`cannot read ${path}`, { cause: err });
    }
    if (!isDirectory) {
      if (!isExcluded([path], exclude)) await add(absolute, path);
      continue;
    }
    const files = await manifestFiles(absolute);
    if (files.length === 0) throw new ConfigError(path, 'no .yaml or .yml files in this folder');
    const kept = files
      .map((f) => ({ absolute: f, below: relative(absolute, f) }))
      .map((f) => ({ ...f, file: join(path, f.below) }))
      .filter((f) => !isExcluded([f.file, f.below], exclude));
    if (kept.length === 0) {
      throw new ConfigError(path, 'every .yaml or .yml file in this folder is left out by --exclude');
    }
    for (const f of kept) await add(f.absolute, f.file);
  }
  // A CI step that checks nothing must not pass.
  if (inputs.length === 0) throw new ConfigError('arguments', 'every file given is left out by --exclude');
  return inputs;
}

/** All of standard input, or a little over `maxBytes` of it: enough for the size check to refuse it. */
async function readStandardInput(maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(buffer);
    bytes += buffer.length;
    if (bytes > maxBytes) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}
