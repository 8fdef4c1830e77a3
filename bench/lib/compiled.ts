/**
 * The JavaScript the benches run when they measure memory: `src/` compiled by tsc as the container image's
 * build does (Dockerfile), and the bench's own child modules beside it. Run from TypeScript sources, Node
 * strips types in every process, which costs each one ~10–15 MiB of resident memory that no deployment pays.
 */

import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { REPO_ROOT } from './children.ts';

const run = promisify(execFile);

/** Inside the repository, so the compiled modules find `node_modules` and `package.json` (`"type": "module"`). */
export const COMPILED_ROOT = join(REPO_ROOT, '.bench-build');
const TSCONFIG = join(REPO_ROOT, 'bench', 'tsconfig.compiled.json');

/** Where the compiled form of `source` (a path from the repository root, `src/cli/main.ts`) is. */
export function compiledPath(source: string): string {
  if (!source.endsWith('.ts')) throw new Error(`${source} is not a TypeScript module`);
  return join(COMPILED_ROOT, `${source.slice(0, -'.ts'.length)}.js`);
}

/** `compiledPath` as a URL, for `node --import`. */
export function compiledUrl(source: string): string {
  return pathToFileURL(compiledPath(source)).href;
}

/** Compiles afresh into {@link COMPILED_ROOT}: a stale file of an earlier commit must never be measured. */
export async function compileForBench(): Promise<void> {
  await rm(COMPILED_ROOT, { recursive: true, force: true });
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', TSCONFIG], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`tsc -p bench/tsconfig.compiled.json failed:\n${stdout}${stderr}`.trimEnd(), {
      cause: err,
    });
  }
}
