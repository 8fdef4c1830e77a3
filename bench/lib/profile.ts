/**
 * Reads V8 `.cpuprofile` files (what `node --cpu-prof` and the inspector's `Profiler.stop` write) and
 * summarizes them: the functions with the most self time, the most inclusive time (each function counted once
 * per sample however deep it recurses), chosen functions, and self time by group of code. Files are shown
 * relative to the repository. A profile can be cut to time windows first, so one process's profile gives one
 * summary (and one flame graph) per phase of a bench.
 */

import { readFile } from 'node:fs/promises';
import { REPO_ROOT } from './children.ts';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; [more: string]: unknown };
  children?: number[];
  hitCount?: number;
  positionTicks?: unknown;
  [more: string]: unknown;
}

/** The JSON of a `.cpuprofile`: times in microseconds of the monotonic clock (see {@link monotonicMicros}). */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  /** The node (innermost frame) of each sample. */
  samples: number[];
  /** Microseconds from the previous sample (from `startTime` for the first). */
  timeDeltas: number[];
}

export interface ProfileRow {
  fn: string;
  ms: number;
  share: number;
}

/** Code whose self time counts together, recognised by a frame's label (`name file:line`). */
export interface ProfileGroup {
  name: string;
  pattern: RegExp;
}

export interface ProfileSummary {
  totalMs: number;
  /** Milliseconds the thread was busy (every sample but `(idle)`). */
  busyMs: number;
  self: ProfileRow[];
  inclusive: ProfileRow[];
  /** Inclusive time of the functions whose label starts with each watched prefix. */
  watched: ProfileRow[];
  /** Self time by group, in the order the groups were given, then `other`; empty when none were given. */
  groups: ProfileRow[];
}

export interface SummaryOptions {
  /** How many functions the self and inclusive lists keep (15). */
  top?: number;
  /** Label prefixes always reported, whether or not they make the top lists. */
  watched?: readonly string[];
  /**
   * Groups for {@link ProfileSummary.groups}. A sample's time goes to the group of its innermost frame that
   * matches one, the first group matching that frame; a sample with none is `other`. So Node's internals and
   * libraries not named count for the code that called them.
   */
  groups?: readonly ProfileGroup[];
}

/** A stretch of time on the clock of profile timestamps, in microseconds. */
export interface ProfileWindow {
  startUs: number;
  endUs: number;
}

export const OTHER_GROUP = 'other';

/**
 * Now, on the clock V8 stamps profiles with (CLOCK_MONOTONIC on Linux, as `process.hrtime`), in
 * microseconds: another process's profile can be cut with windows timed here.
 */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * A frame as the tables show it: `name file:line`, the file relative to the repository (or from
 * `node_modules/`); native frames and V8's own (`(garbage collector)`, `(program)`, `(idle)`) by name alone.
 */
export function frameLabel(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (url === '') return name;
  let file = url.replace(/^file:\/\//, '');
  if (file.startsWith(REPO_ROOT)) file = file.slice(REPO_ROOT.length);
  file = file.replace(/^.*node_modules\//, 'node_modules/');
  return `${name} ${file}:${lineNumber + 1}`;
}

export async function readProfile(path: string): Promise<CpuProfile> {
  return JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
}

/** When each sample was taken. */
function sampleTimes(profile: CpuProfile): number[] {
  const times: number[] = [];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    times.push(t);
  }
  return times;
}

/**
 * The part of `profile` sampled inside `windows` (sorted or not, not overlapping), as a profile of its own
 * that Chrome DevTools and speedscope open: the samples in them, the nodes those samples need, and the time
 * between windows left out.
 *
 * @example
 * const run = sliceProfile(await readProfile(path), [{ startUs: before, endUs: monotonicMicros() }]);
 */
export function sliceProfile(profile: CpuProfile, windows: readonly ProfileWindow[]): CpuProfile {
  const sorted = [...windows].sort((a, b) => a.startUs - b.startUs);
  const times = sampleTimes(profile);
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let startTime: number | undefined;
  // Time in the slice runs on without the gaps between windows: `gapUs` of them so far.
  let gapUs = 0;
  let previousAt = 0;
  // Where the last sample kept ends, on the profile's clock.
  let keptUntil = 0;
  let w = 0;
  for (let i = 0; i < times.length; i++) {
    const t = times[i] as number;
    while (w < sorted.length && t >= (sorted[w] as ProfileWindow).endUs) w++;
    const window = sorted[w];
    if (window === undefined) break;
    if (t < window.startUs) continue;
    if (startTime === undefined) {
      startTime = window.startUs;
      previousAt = window.startUs;
    } else if (window.startUs > keptUntil) {
      gapUs += window.startUs - keptUntil;
    }
    const at = t - gapUs;
    samples.push(profile.samples[i] as number);
    timeDeltas.push(at - previousAt);
    previousAt = at;
    keptUntil = Math.min(window.endUs, times[i + 1] ?? profile.endTime);
  }
  return {
    nodes: pruneNodes(profile.nodes, samples),
    startTime: startTime ?? sorted[0]?.startUs ?? profile.startTime,
    endTime: startTime === undefined ? (sorted[0]?.startUs ?? profile.startTime) : keptUntil - gapUs,
    samples,
    timeDeltas,
  };
}

/** The nodes `samples` reach, with their ancestors, hit counts recounted and line ticks dropped. */
function pruneNodes(nodes: readonly ProfileNode[], samples: readonly number[]): ProfileNode[] {
  const parent = new Map<number, number>();
  for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hits = new Map<number, number>();
  for (const id of samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const keep = new Set<number>();
  for (const id of hits.keys()) {
    for (let at: number | undefined = id; at !== undefined && !keep.has(at); at = parent.get(at))
      keep.add(at);
  }
  // The root stays even in an empty slice: a profile without nodes does not open.
  if (nodes[0] !== undefined) keep.add(nodes[0].id);
  return nodes
    .filter((n) => keep.has(n.id))
    .map((n) => {
      const { positionTicks: _ticks, ...rest } = n;
      return {
        ...rest,
        hitCount: hits.get(n.id) ?? 0,
        children: (n.children ?? []).filter((c) => keep.has(c)),
      };
    });
}

/**
 * Top functions by self and by inclusive time, the watched ones, and self time by group; shares are of the
 * busy time.
 *
 * @example
 * const summary = summarizeCpuProfile(profile, { top: 10, groups: [{ name: 'GC', pattern: /^\(garbage collector\)$/ }] });
 */
export function summarizeCpuProfile(profile: CpuProfile, options: SummaryOptions = {}): ProfileSummary {
  const { top = 15, watched: watchedPrefixes = [], groups = [] } = options;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const watched = new Map<string, number>(watchedPrefixes.map((w) => [w, 0]));
  const grouped = new Map<string, number>(
    groups.length === 0 ? [] : [...groups.map((g): [string, number] => [g.name, 0]), [OTHER_GROUP, 0]],
  );
  const stackCache = new Map<number, string[]>();
  const stackOf = (id: number): string[] => {
    const hit = stackCache.get(id);
    if (hit !== undefined) return hit;
    const names = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at);
      if (n !== undefined && n.callFrame.functionName !== '(root)') names.add(frameLabel(n));
    }
    const list = [...names];
    stackCache.set(id, list);
    return list;
  };
  const groupCache = new Map<number, string>();
  const groupOf = (id: number): string => {
    let name = groupCache.get(id);
    if (name === undefined) {
      // The stack is innermost first.
      for (const fn of stackOf(id)) {
        name = groups.find((g) => g.pattern.test(fn))?.name;
        if (name !== undefined) break;
      }
      name ??= OTHER_GROUP;
      groupCache.set(id, name);
    }
    return name;
  };

  const times = sampleTimes(profile);
  let totalUs = 0;
  let idleUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    // A sample lasts until the next one; the last until the profile ends.
    const us = Math.max(0, (times[i + 1] ?? profile.endTime) - (times[i] as number));
    const node = byId.get(id);
    if (node === undefined) continue;
    totalUs += us;
    const name = frameLabel(node);
    if (name === '(idle)') {
      idleUs += us;
      continue;
    }
    self.set(name, (self.get(name) ?? 0) + us);
    const stack = stackOf(id);
    for (const fn of stack) inclusive.set(fn, (inclusive.get(fn) ?? 0) + us);
    for (const w of watchedPrefixes) {
      if (stack.some((fn) => fn.startsWith(w))) watched.set(w, (watched.get(w) ?? 0) + us);
    }
    if (groups.length > 0) {
      const g = groupOf(id);
      grouped.set(g, (grouped.get(g) ?? 0) + us);
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
    groups: [...grouped].map(row),
  };
}

/** {@link summarizeCpuProfile} of a `.cpuprofile` file. */
export async function summarizeProfile(
  path: string,
  top = 15,
  options: Omit<SummaryOptions, 'top'> = {},
): Promise<ProfileSummary> {
  return summarizeCpuProfile(await readProfile(path), { ...options, top });
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
