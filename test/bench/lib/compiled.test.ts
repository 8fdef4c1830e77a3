import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../bench/lib/children.ts';
import { compiledPath, compiledUrl } from '../../../bench/lib/compiled.ts';

describe('compiledPath', () => {
  it.each([
    ['src/cli/main.ts', 'src/cli/main.js'],
    ['bench/lib/child-guard.ts', 'bench/lib/child-guard.js'],
    ['bench/peers/oidc-provider-server.ts', 'bench/peers/oidc-provider-server.js'],
  ])('%s is run as .bench-build/%s', (source, compiled) => {
    expect(compiledPath(source)).toBe(join(REPO_ROOT, '.bench-build', compiled));
  });

  it('refuses what tsc does not compile', () => {
    expect(() => compiledPath('bench/peers/oidc-provider.d.tsx')).toThrow(/not a TypeScript module/);
    expect(() => compiledPath('examples/README.md')).toThrow(/not a TypeScript module/);
  });

  it('gives a file URL for node --import', () => {
    expect(compiledUrl('bench/lib/child-guard.ts')).toMatch(
      /^file:\/\/.*\/\.bench-build\/bench\/lib\/child-guard\.js$/,
    );
  });
});
