/**
 * Vitest globalSetup: makes sure Debian's chromium is installed once, before any test file starts, so that an
 * apt-get install (a minute or two) happens outside the per-file hook timeouts and not in several workers at
 * once. Fails the run (never skips) with the command to run when it cannot install it.
 */
import { chromiumPath } from '../support/chromium.ts';

export default async function setup(): Promise<void> {
  const started = Date.now();
  const path = await chromiumPath();
  // Test files look the browser up again; with this set (workers inherit it) they only check that it runs.
  process.env.LATCHKEY_CHROMIUM ??= path;
  const seconds = Math.round((Date.now() - started) / 1000);
  if (seconds > 5) process.stderr.write(`[chromium] ${path} ready (${seconds}s)\n`);
}
