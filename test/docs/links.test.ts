/**
 * Every relative link of the README, the project's pages, the examples and docs/ points at a file that exists
 * and, with `#anchor`, at a heading of that page (GitHub's heading ids), so moving a section or renaming a
 * page cannot leave a dead link behind.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeBlocks, exists, markdownFiles } from '../support/markdown.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The text of a page without its code blocks and code spans, where `](` means nothing. */
function prose(markdown: string): string {
  let text = markdown;
  for (const b of codeBlocks(markdown)) text = text.replace(b.body, '');
  return text.replace(/`[^`\n]*`/g, '');
}

/** GitHub's id of a heading: lower case, punctuation dropped (not `-` or `_`), spaces to `-`, repeats numbered. */
export function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  const withoutBlocks = codeBlocks(markdown).reduce((t, b) => t.replace(b.body, ''), markdown);
  for (const m of withoutBlocks.matchAll(/^#{1,6} (.+)$/gm)) {
    const text = (m[1] as string).replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- _]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

const PAGES = [
  ...['README.md', 'CONTRIBUTING.md', 'SECURITY.md', 'CHANGELOG.md', 'charts/latchkey/README.md'],
  ...(await markdownFiles(ROOT, 'examples')),
  ...(await markdownFiles(ROOT, 'docs')),
].sort();

describe('links between pages', () => {
  it('knows GitHub’s heading ids', () => {
    expect([
      ...headingIds(
        "# A\n## Secretless: present the workload's ServiceAccount token\n## `spec.clientId` and [x](y)\n## A\n",
      ),
    ]).toEqual(['a', 'secretless-present-the-workloads-serviceaccount-token', 'specclientid-and-x', 'a-1']);
  });

  it.each(PAGES)('%s links only to pages and headings that exist', async (page) => {
    if (!(await exists(join(ROOT, page)))) return;
    const text = await readFile(join(ROOT, page), 'utf8');
    const dead: string[] = [];
    for (const m of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] as string;
      if (/^[a-z]+:/i.test(target)) continue;
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? join(ROOT, page) : normalize(join(ROOT, dirname(page), path));
      if (!(await exists(file))) {
        dead.push(`${target}: no such file`);
        continue;
      }
      if (anchor === undefined || !file.endsWith('.md')) continue;
      if (!headingIds(await readFile(file, 'utf8')).has(anchor)) dead.push(`${target}: no such heading`);
    }
    expect(dead).toEqual([]);
  });
});
