import type { ManifestProblem } from './problem.ts';

/**
 * How much a folder of manifests may hold (issue 9, item 9). A 10 MB file of 61,747 small documents once held
 * dev mode for half a minute and tripled its memory: every file is measured before it is read and every
 * document counted before it is parsed, and a file over a limit is refused whole, naming the limit.
 */
export interface ManifestLimits {
  /** Largest file read, in bytes. */
  maxFileBytes: number;
  /** Most YAML documents in one file (`---` separated), empty ones included. */
  maxDocumentsPerFile: number;
  /** Most bytes read from one folder in one load; the files past it, in path order, are refused. */
  maxFolderBytes: number;
}

/**
 * Far above what a team's folder holds (the scale benchmark's world of 10,000 clients is 20,001 documents,
 * 4.3 MB, in one file: test/manifests/limits.test.ts keeps it within these), far below what exhausts memory.
 * Loading yields to the event loop between documents, so a large file slows a reload, never serving.
 */
export const DEFAULT_MANIFEST_LIMITS: Readonly<ManifestLimits> = Object.freeze({
  maxFileBytes: 8 * 1024 * 1024,
  maxDocumentsPerFile: 50_000,
  maxFolderBytes: 64 * 1024 * 1024,
});

const MIB = 1024 * 1024;

function size(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`;
}

/** A refusal of a whole file: no document of it is used (dev mode keeps the file's last good objects). */
function refusal(file: string, message: string): ManifestProblem {
  return { file, line: 1, object: 'file', field: '', message };
}

/**
 * Whether a file of `bytes` may be read after `folderBytes` already read from its folder. Pure.
 * @example
 * readRefusal('big.yaml', 10_000_000, 0, DEFAULT_MANIFEST_LIMITS)?.message
 * // 'the file is 10000000 bytes, over the limit of 8 MiB per manifest file: it is ignored'
 */
export function readRefusal(
  file: string,
  bytes: number,
  folderBytes: number,
  limits: ManifestLimits,
): ManifestProblem | undefined {
  if (bytes > limits.maxFileBytes) {
    return refusal(
      file,
      `the file is ${bytes} bytes, over the limit of ${size(limits.maxFileBytes)} per manifest file: it is ignored`,
    );
  }
  if (folderBytes + bytes > limits.maxFolderBytes) {
    return refusal(
      file,
      `the folder's manifests are over the limit of ${size(limits.maxFolderBytes)} in all: this file and the ones after it are ignored`,
    );
  }
  return undefined;
}

/** The refusal of a file found to hold more than `limits.maxDocumentsPerFile` documents. Pure. */
export function documentCountRefusal(file: string, limits: ManifestLimits): ManifestProblem {
  return refusal(
    file,
    `the file has more than ${limits.maxDocumentsPerFile} YAML documents, the limit per manifest file: it is ignored`,
  );
}

/** Whether a problem refuses its whole file (see {@link readRefusal}). */
export function isFileRefusal(p: ManifestProblem): boolean {
  return p.object === 'file';
}
