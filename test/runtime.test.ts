import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('runtime', () => {
  it('runs on the Node.js major version that package.json pins and engines names', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      engines: { node: string };
      devDependencies: { node: string };
    };
    const pinned = pkg.devDependencies.node.split('.')[0];
    expect(process.versions.node.split('.')[0]).toBe(pinned);
    expect(pkg.engines.node).toContain(`>=${pinned}`);
  });
});
