/**
 * The pages of docs/people show the code that people-web-app.test.ts and people-cli.test.ts run: a block after
 * `<!-- include: PATH -->` equals that file, one after `<!-- excerpt: PATH -->` occurs in it (as in
 * test/snippets/docs.test.ts for the workload guides).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeBlocks } from '../support/markdown.ts';
import { ROOT } from './harness.ts';

const DOCS = join(ROOT, 'docs/people');

/** Each page and the files it must show whole. */
const PAGES: Record<string, string[]> = {
  'web-app.md': ['snippets/node/people-web-app.mjs', 'examples/people-sign-in/notes-web.yaml'],
  'cli.md': [
    'snippets/node/people-cli.mjs',
    'snippets/go-cli/go.mod',
    'snippets/go-cli/main.go',
    'snippets/manifests/notes-cli.yaml',
  ],
};

describe('docs/people', () => {
  it('has a page for the web app and one for the CLI, and its README links both', async () => {
    expect((await readdir(DOCS)).sort()).toEqual(['README.md', ...Object.keys(PAGES)].sort());
    const readme = await readFile(join(DOCS, 'README.md'), 'utf8');
    for (const page of Object.keys(PAGES)) expect(readme).toContain(`](${page})`);
  });

  it.each(Object.entries(PAGES))('%s shows its files verbatim', async (page, files) => {
    const blocks = codeBlocks(await readFile(join(DOCS, page), 'utf8'));
    const included = blocks.filter((b) => b.marker?.kind === 'include');
    expect(included.map((b) => b.marker?.arg).sort()).toEqual([...files].sort());
    for (const b of blocks.filter((b) => b.marker?.kind === 'include' || b.marker?.kind === 'excerpt')) {
      const { kind, arg } = b.marker as { kind: string; arg: string };
      const file = await readFile(join(ROOT, arg), 'utf8');
      if (kind === 'include') {
        expect(b.body, `${page}:${b.line} differs from ${arg}`).toBe(file);
      } else {
        const strip = (text: string) => text.split('\n').map((l) => l.trim());
        expect(strip(file).join('\n'), `${page}:${b.line} is not in ${arg}`).toContain(
          strip(b.body.trimEnd()).join('\n'),
        );
      }
    }
  });
});
