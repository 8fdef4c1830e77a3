import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The import directions of issue 15, kept by `no-restricted-imports` per folder in eslint.config.js. These
// lint a line of source as if it were a file in that folder, with the repository's own configuration.
const eslint = new ESLint({ cwd: fileURLToPath(new URL('../..', import.meta.url)) });

async function restrictedImports(filePath: string, specifier: string): Promise<string[]> {
  const code = `import type { Anything } from '${specifier}';\nexport type Same = Anything;\n`;
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

describe('layers: which src folder may import which', () => {
  const forbidden: [string, string][] = [
    ['src/server/endpoints/token.ts', '../../operator/run.ts'],
    ['src/server/tls.ts', '../kube/types.ts'],
    ['src/server/tls.ts', '../dev/run.ts'],
    ['src/dev/run.ts', '../operator/controller.ts'],
    ['src/store/store.ts', '../server/app.ts'],
    ['src/store/store.ts', '../operator/world.ts'],
    ['src/store/compile/clients.ts', '../../kube/types.ts'],
    ['src/connections/issuer-check.ts', '../kube/api.ts'],
    ['src/connections/issuer-check.ts', '../operator/run.ts'],
    ['src/runtime/work-queue.ts', '../operator/controller-metrics.ts'],
    ['src/kube/informer.ts', '../operator/run.ts'],
  ];
  it.each(forbidden)('%s may not import %s', async (filePath, specifier) => {
    const messages = await restrictedImports(filePath, specifier);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('see the layers in eslint.config.js');
  });

  const allowed: [string, string][] = [
    ['src/server/endpoints/token.ts', '../../store/snapshot.ts'],
    ['src/server/tls.ts', '../timers.ts'],
    ['src/dev/connection-checks.ts', '../connections/issuer-check.ts'],
    ['src/dev/connection-checks.ts', '../runtime/work-queue.ts'],
    ['src/connections/kubernetes-issuer.ts', '../kube/types.ts'],
    ['src/operator/run.ts', '../kube/informer.ts'],
    ['src/operator/run.ts', '../server/start.ts'],
  ];
  it.each(allowed)('%s may import %s', async (filePath, specifier) => {
    expect(await restrictedImports(filePath, specifier)).toEqual([]);
  });
});
