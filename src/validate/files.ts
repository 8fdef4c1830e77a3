import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { ConfigError } from '../config-error.ts';
import {
  DEFAULT_MANIFEST_LIMITS,
  manifestFiles,
  readRefusal,
  type ManifestLimits,
} from '../manifests/index.ts';
import type { ManifestText } from './validate.ts';

/**
 * Reads the files named and every `*.yaml`/`*.yml` below the folders named (as dev mode reads a folder),
 * each once. Files keep the names they were given by (`examples/billing.yaml`), so problems point where the
 * user looks. A path that does not exist, a folder without manifests, or files over the size limits
 * ({@link DEFAULT_MANIFEST_LIMITS}) are a usage error.
 */
export async function readManifestInputs(
  paths: readonly string[],
  cwd: string,
  limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS,
): Promise<ManifestText[]> {
  const seen = new Set<string>();
  const inputs: ManifestText[] = [];
  let folderBytes = 0;
  const add = async (absolute: string, file: string) => {
    if (seen.has(absolute)) return;
    seen.add(absolute);
    const refused = readRefusal(file, (await stat(absolute)).size, folderBytes, limits);
    if (refused !== undefined) throw new ConfigError(file, refused.message);
    const text = await readFile(absolute, 'utf8');
    folderBytes += Buffer.byteLength(text);
    inputs.push({ file, text });
  };
  for (const path of paths) {
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
      await add(absolute, path);
      continue;
    }
    const files = await manifestFiles(absolute);
    if (files.length === 0) throw new ConfigError(path, 'no .yaml or .yml files in this folder');
    for (const f of files) await add(f, join(path, relative(absolute, f)));
  }
  return inputs;
}
