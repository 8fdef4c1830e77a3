import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Builds or finds kube-apiserver and etcd once, before any integration file starts; finds or installs
    // Debian's chromium once, before any browser test starts.
    globalSetup: ['test/integration/global-setup.ts', 'test/browser/global-setup.ts'],
    // Integration tests wait on real processes (grace periods, Lease handovers) while other files load the
    // same two cores; each wait has its own `eventually` deadline with a message, so this only stops hangs.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
