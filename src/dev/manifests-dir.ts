import { stat } from 'node:fs/promises';
import { ConfigError } from '../config-error.ts';

/**
 * Fails start-up with one line naming `--manifests` when it is not a folder, before anything is created or
 * bound: reading it later failed with the file system's words twice over (issue 16).
 *
 * @throws {ConfigError} when `dir` does not exist or is not a folder
 */
export async function checkManifestsDir(dir: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new ConfigError('--manifests', `no such folder: ${dir}`);
    throw new Error(`cannot read the manifests folder ${dir}`, { cause: err });
  }
  if (!isDirectory) {
    throw new ConfigError('--manifests', `${dir} is a file; name the folder that holds the manifests`);
  }
}
