/**
 * The fenced code blocks of a markdown file and the marker comment before each, for the tests that check what the
 * docs show: test/snippets/docs.test.ts (`include`, `excerpt`, `tested`) and test/docs/shell-blocks.test.ts
 * (`not run`, and every shell block without a marker); and the pages themselves, for those and the links test.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface Marker {
  /** `include`, `excerpt`, `tested` or `not run`. */
  kind: string;
  /** A path for `include` and `excerpt`, a name for `tested`, the reason for `not run`. */
  arg: string;
}

export interface Block {
  /** From the `<!-- kind: arg -->` comment before the block (blank lines between); undefined without one. */
  marker?: Marker;
  lang: string;
  body: string;
  /** 1-based line of the opening fence. */
  line: number;
}

const MARKER = /^\s*<!-- (include|excerpt|tested|not run): (\S.*?) -->$/;
const FENCE = /^(\s*)```(\S*)$/;

/**
 * Every fenced block, also one indented in a list item (its body without the indentation), with the marker
 * comment before it (blank lines between).
 */
export function codeBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const found: Block[] = [];
  let marker: Marker | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const m = MARKER.exec(line);
    if (m) {
      marker = { kind: m[1] as string, arg: m[2] as string };
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const indent = fence[1] as string;
      const end = lines.indexOf(`${indent}\`\`\``, i + 1);
      if (end === -1) throw new Error(`unclosed code block at line ${i + 1}`);
      const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
      found.push({
        ...(marker ? { marker } : {}),
        lang: fence[2] as string,
        body: body.join('\n') + '\n',
        line: i + 1,
      });
      marker = undefined;
      i = end;
      continue;
    }
    if (line.trim() !== '') marker = undefined;
  }
  return found;
}

/** The `.md` files below `dir` (a path from `root`), as paths from `root`, in every subfolder. */
export async function markdownFiles(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory()
        ? markdownFiles(root, join(dir, e.name))
        : e.name.endsWith('.md')
          ? [join(dir, e.name)]
          : [],
    ),
  );
  return nested.flat();
}

/** Whether a file or folder is there. */
export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
