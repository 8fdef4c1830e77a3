/** What a results file says about where and from what it was measured (the machine, the commit), and writing it. */

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, platform, release } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './children.ts';
import type { Machine } from './report.ts';

export function machine(): Machine {
  let cpu = 'unknown CPU';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // Not Linux: the CPU stays unknown.
  }
  return {
    cpu,
    cores: availableParallelism(),
    node: process.version,
    os: `${platform()} ${release()}`,
    threadPool: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
  };
}

/**
 * The short commit, and whether what is measured had uncommitted changes: the folders `measured` (the
 * server's code, `src`, unless told otherwise) and the dependencies. Changes elsewhere (tests, the benches)
 * are not.
 *
 * @example
 * commit(['src', 'crds']); // 'dbc8b22 with uncommitted changes in src/, crds/ or package.json'
 */
export function commit(measured: readonly string[] = ['src']): string {
  try {
    const git = (args: string[]) =>
      execFileSync('git', args, {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' },
      }).trim();
    const head = git(['rev-parse', '--short', 'HEAD']);
    const paths = [...measured, 'package.json', 'package-lock.json'];
    const dirty = git(['status', '--porcelain', '--', ...paths]) !== '';
    return dirty ? `${head} with uncommitted changes in ${changedWhere(measured)}` : head;
  } catch {
    return 'unknown';
  }
}

/** `src/ or package.json`, `src/, crds/ or package.json`: how the results files have always said it. */
export function changedWhere(measured: readonly string[]): string {
  return [...measured.map((folder) => `${folder}/`), 'package.json'].reduce((text, part, i, all) =>
    i === all.length - 1 ? `${text} or ${part}` : `${text}, ${part}`,
  );
}

/** Writes a results file, `bench/results/<date>-<name>.md`, and says so. */
export async function saveResults(date: string, name: string, markdown: string): Promise<void> {
  const dir = join(REPO_ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${date}-${name}.md`);
  await writeFile(file, markdown);
  process.stdout.write(`\nwrote ${file.slice(REPO_ROOT.length)}\n`);
}
