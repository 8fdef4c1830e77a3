import { readFileSync } from 'node:fs';

/**
 * The `version` of Latchkey's package.json, read when asked. The file is two folders up from this module
 * both in the sources (src/cli/) and in the build (dist/cli/), which the image keeps beside package.json.
 */
export function packageVersion(packageJson = new URL('../../package.json', import.meta.url)): string {
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string' || version === '') {
    throw new Error(`${packageJson.pathname} has no version`);
  }
  return version;
}
