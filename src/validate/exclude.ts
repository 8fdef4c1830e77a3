import { matchesGlob } from 'node:path';

/** `./a/b/` → `a/b`: how a pattern and a path are compared. */
function tidy(path: string): string {
  return path.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/**
 * Whether `--exclude` patterns leave out a file, known by several `names` (as printed, and relative to the
 * folder given on the command line). As in `.gitignore`: a pattern without a slash matches a file or folder
 * name at any depth (`values.yaml`, `charts`, `*.values.yaml`); one with a slash matches a whole path from
 * its start (`gitops/charts/*`, `charts/**`). A matching folder leaves out everything below it.
 * @example isExcluded(['gitops/charts/app/values.yaml'], ['values.yaml']) // true
 */
export function isExcluded(names: readonly string[], globs: readonly string[]): boolean {
  return globs.some((raw) => {
    const glob = tidy(raw);
    if (glob === '') return false;
    const patterns = glob.includes('/') ? [glob, `${glob}/**`] : [`**/${glob}`, `**/${glob}/**`];
    return names.some((name) => patterns.some((p) => matchesGlob(tidy(name), p)));
  });
}
