import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Relative specifiers of the imports and re-exports a module runs when it loads. `import type` is erased
 * before it runs, so a cycle through one cannot leave a module half initialised; `import()` is lazy.
 */
function importSpecifiers(source: string): string[] {
  return [...source.matchAll(/^\s*(?:import|export)\s(?!type\s)(?:[^;]*?\sfrom\s)?'(\.[^']+)'/gms)].map(
    (match) => match[1] as string,
  );
}

/** Every .ts file under `dir`, mapped to the files it imports, relative to the repository root. */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const entry of readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = relative(ROOT, join(entry.parentPath, entry.name));
    const source = readFileSync(join(ROOT, file), 'utf8');
    graph.set(
      file,
      importSpecifiers(source).map((specifier) => normalize(join(dirname(file), specifier))),
    );
  }
  return graph;
}

/** The strongly connected components of more than one module, or a module importing itself (Tarjan). */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (module: string): void => {
    index.set(module, counter);
    low.set(module, counter);
    counter++;
    stack.push(module);
    onStack.add(module);
    for (const next of graph.get(module) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(module, Math.min(low.get(module) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(module, Math.min(low.get(module) as number, index.get(next) as number));
      }
    }
    if (low.get(module) !== index.get(module)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== module);
    if (component.length > 1 || graph.get(module)?.includes(module)) cycles.push(component.sort());
  };
  for (const module of graph.keys()) if (!index.has(module)) visit(module);
  return cycles;
}

describe('import cycles', () => {
  it('finds a cycle through three modules and a module that imports itself, and none in a chain', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', ['e.ts']],
      ['e.ts', []],
      ['f.ts', ['f.ts']],
    ]);
    expect(importCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['f.ts']]);
  });

  it('reads static imports and re-exports across lines, and leaves type-only and lazy imports out', () => {
    const source = [
      "import { a } from './a.ts';",
      "import {\n  b,\n  type C,\n} from '../b.ts';",
      "import type { E } from './e.ts';",
      "export type { F } from './f.ts';",
      "export { d } from './d.ts';",
      "import './side-effect.ts';",
      "import { readFileSync } from 'node:fs';",
      "const lazy = () => import('./lazy.ts');",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(['./a.ts', '../b.ts', './d.ts', './side-effect.ts']);
  });

  it('src has none: no module runs an import that leads back to itself (issue 10)', () => {
    const graph = importGraph('src');
    const edges = [...graph.values()].reduce((sum, imports) => sum + imports.length, 0);
    expect(edges).toBeGreaterThan(300);
    expect(importCycles(graph)).toEqual([]);
  });
});
