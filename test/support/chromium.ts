/**
 * Debian's chromium for the browser tests, found or installed by scripts/tools/install-chromium.sh (as root it
 * runs apt-get; otherwise it fails with the command to run). No browser build of Playwright's own is used.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtTool } from './tool-build.ts';

// Not envtest's repoRoot: the global setup that imports this file should not load the Kubernetes client.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The path of the chromium binary (`/usr/bin/chromium`, or `LATCHKEY_CHROMIUM` when set), installing Debian's
 * package first when it is missing and this process runs as root. Runs the script once per process.
 */
export const chromiumPath = builtTool(
  join(repoRoot, 'scripts/tools/install-chromium.sh'),
  repoRoot,
  '[tools/install-chromium]',
);
