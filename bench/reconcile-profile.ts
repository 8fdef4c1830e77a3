/**
 * Summarizes a V8 `.cpuprofile` (what `node --cpu-prof` writes): the functions with the most self time, and
 * the most inclusive time (each function counted once per sample however deep it recurses), with files
 * relative to the repository.
 */

import { readFile } from 'node:fs/promises';
import { REPO_ROOT } from './children.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  fn: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Milliseconds the thread was busy (every sample but `(idle)`). */
  busyMs: number;
  self: ProfileRow[];
  inclusive: ProfileRow[];
  /** Inclusive time of the functions whose label starts with each watched prefix. */
  watched: ProfileRow[];
}

/** Functions the bench always reports, whether or not they make the top list. */
export const WATCHED = [
  'rebuild src/operator/controller.ts',
  'compile src/store/compile.ts',
  'rebuild src/store/store.ts',
  'enqueueStale src/operator/controller.ts',
  'statusChanged src/operator/status.ts',
  '#secretAction src/operator/controller.ts',
  '#declared src/operator/controller.ts',
  '(anonymous) src/log.ts',
  'reconcile src/operator/controller.ts',
  '(garbage collector)',
];

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (url === '') return name;
  let file = url.replace(/^file:\/\//, '');
  if (file.startsWith(REPO_ROOT)) file = file.slice(REPO_ROOT.length);
  file = file.replace(/^.*node_modules\//, 'node_modules/');
  return `${name} ${file}:${lineNumber + 1}`;
}

/** Top `top` functions by self and by inclusive time, and the {@link WATCHED} ones. */
export async function summarizeProfile(path: string, top = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const watched = new Map<string, number>(WATCHED.map((w) => [w, 0]));
  // Sample i lasts until sample i+1: timeDeltas[i + 1] (microseconds).
  let totalUs = 0;
  let idleUs = 0;
  const stackCache = new Map<number, string[]>();
  const stackOf = (id: number): string[] => {
    const hit = stackCache.get(id);
    if (hit !== undefined) return hit;
    const names = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at);
      if (n !== undefined && n.callFrame.functionName !== '(root)') names.add(label(n));
    }
    const list = [...names];
    stackCache.set(id, list);
    return list;
  };
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const us = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(id);
    if (node === undefined) continue;
    totalUs += us;
    const name = label(node);
    if (name === '(idle)') {
      idleUs += us;
      continue;
    }
    self.set(name, (self.get(name) ?? 0) + us);
    const stack = stackOf(id);
    for (const fn of stack) inclusive.set(fn, (inclusive.get(fn) ?? 0) + us);
    for (const w of WATCHED) {
      if (stack.some((fn) => fn.startsWith(w))) watched.set(w, (watched.get(w) ?? 0) + us);
    }
  }
  const busyUs = totalUs - idleUs;
  const row = ([fn, us]: [string, number]) => ({ fn, ms: us / 1000, share: busyUs > 0 ? us / busyUs : 0 });
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(row);
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    self: rows(self),
    inclusive: rows(inclusive),
    watched: [...watched].map(row),
  };
}

export function profileTable(rows: readonly ProfileRow[], title: string): string {
  return [
    `| ${title} | ms | share of busy |`,
    '| --- | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| \`${r.fn}\` | ${Math.round(r.ms).toLocaleString('en-US')} | ${(r.share * 100).toFixed(1)} % |`,
    ),
  ].join('\n');
}
