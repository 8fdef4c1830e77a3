import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_MANIFEST_LIMITS, readRefusal, type ManifestLimits } from './limits.ts';
import { checkFile, combineFiles, type FileManifests, type LoadedManifests } from './parse.ts';

const MANIFEST_FILE = /\.ya?ml$/;

/**
 * Reads every `*.yaml` and `*.yml` below `dir`, in sorted order, skipping folders whose name starts with a
 * dot (`.git`, editor state). Problems name files as `dir` joined with their relative path.
 * @example
 * const { objects, secrets, namespaces, problems } = await loadManifestDir('./manifests');
 */
export async function loadManifestDir(
  dir: string,
  limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS,
): Promise<LoadedManifests> {
  const files: FileManifests[] = [];
  let folderBytes = 0;
  for (const file of await manifestFiles(dir)) {
    let text: string;
    try {
      const refused = readRefusal(file, (await stat(file)).size, folderBytes, limits);
      if (refused !== undefined) {
        files.push({ file, declared: [], problems: [refused] });
        continue;
      }
      text = await readFile(file, 'utf8');
    } catch (error) {
      // Editors save by rename; a file listed a moment ago may be gone, and the next reload will see the new one.
      if (isErrorCode(error, 'ENOENT')) continue;
      throw new Error(`cannot read manifest ${file}`, { cause: error });
    }
    folderBytes += Buffer.byteLength(text);
    files.push(checkFile(text, file, limits));
  }
  return combineFiles(files);
}

/** Manifest files below `dir`, sorted by path so every run reads them in the same order. */
export async function manifestFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  await walk(dir, found);
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function walk(dir: string, found: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.')) await walk(path, found);
    } else if (
      MANIFEST_FILE.test(entry.name) &&
      (entry.isFile() || (entry.isSymbolicLink() && (await isFile(path))))
    ) {
      found.push(path);
    }
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
