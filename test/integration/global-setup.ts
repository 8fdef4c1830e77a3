/**
 * Vitest globalSetup: makes sure kube-apiserver and etcd are available once, before any test file starts, so the
 * first run's build (many minutes) happens outside the per-file hook timeouts. Uses KUBEBUILDER_ASSETS when set,
 * otherwise builds or reuses the pinned binaries with scripts/envtest/build.sh. Fails the run (never skips) with
 * instructions when neither works.
 */
import { resolveAssets } from './envtest.ts';

export default async function setup(): Promise<void> {
  const started = Date.now();
  const dir = await resolveAssets();
  // Test files resolve the binaries again; with this set (when workers inherit it) they skip the script.
  process.env.KUBEBUILDER_ASSETS ??= dir;
  const seconds = Math.round((Date.now() - started) / 1000);
  if (seconds > 5) process.stderr.write(`[envtest] kube-apiserver and etcd ready in ${dir} (${seconds}s)\n`);
}
