/** The tables of `npm run bench:scale` and its results file. */

import { describeMachine, resultsFooter, type Machine, type Summary } from '../lib/report.ts';
import { profileTable, type ProfileSummary } from '../lib/profile.ts';
import type { RebuildTimes, ScaleChildResult } from './scale-child.ts';

export interface ScaleSettings {
  sizes: number[];
  warmupRebuilds: number;
  repeats: number;
  /** Clients of the small and the large world the token runs compare. */
  tokenWorlds: [number, number];
  connections: number;
  /** Load generators per run, each with its own client picked at random. */
  parallel: number;
  warmupSeconds: number;
  measureSeconds: number;
  rounds: number;
}

/** One world the token runs measured. */
export interface TokenWorld {
  clients: number;
  /** From starting `latchkey dev` to its ready line: parsing, validating, writing every Secret, compiling. */
  readySeconds: number;
  /** VmRSS of the dev server once ready, before any load. */
  idleRssBytes: number | undefined;
  summary: Summary;
  /** Distinct clients the load generators used over all rounds. */
  distinctClients: number;
}

export interface TokenComparison {
  small: TokenWorld;
  large: TokenWorld;
  /** Large over small, per round: their spread shows the noise. */
  roundRatios: number[];
}

export interface ScaleReport {
  date: string;
  commit: string;
  machine: Machine;
  /** One-minute load average before and after the run: the machine is shared. */
  loadAverage: { start: number; end: number };
  settings: ScaleSettings;
  worlds: ScaleChildResult[];
  tokens: TokenComparison;
  profile?: { n: number; rebuilds: number; summary: ProfileSummary };
}

export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

const median = (values: readonly number[]) => quantile(values, 0.5);
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, digits: number) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** Milliseconds with about three significant digits. */
const msText = (n: number) => (n >= 100 ? int(n) : n >= 10 ? fixed(n, 1) : fixed(n, 2));
const mb = (bytes: number) => fixed(bytes / 1024 / 1024, 1);

export interface HeapPerClient {
  from: number;
  to: number;
  snapshotBytes: number;
  operatorBytes: number;
}

/** (heap of the largest world − heap of the smallest) / (difference in clients). */
export function heapPerClient(worlds: readonly ScaleChildResult[]): HeapPerClient | undefined {
  const sorted = [...worlds].sort((a, b) => a.n - b.n);
  const small = sorted[0];
  const large = sorted.at(-1);
  if (small === undefined || large === undefined || large.n === small.n) return undefined;
  const per = (f: (w: ScaleChildResult) => number) => (f(large) - f(small)) / (large.n - small.n);
  return {
    from: small.n,
    to: large.n,
    snapshotBytes: per((w) => w.heap.snapshotBytes),
    operatorBytes: per((w) => w.heap.operatorBytes),
  };
}

export function rebuildTable(worlds: readonly ScaleChildResult[]): string {
  const cell = (t: RebuildTimes, part: keyof RebuildTimes) => msText(median(t[part]));
  return [
    '| clients | objects | rebuild after one change, median (p90) ms | Store.rebuild ms | compile() from scratch ms | full check, enqueueStale() alone ms | rebuild µs per object | enqueued per change |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...worlds.map((w) => {
      const t = w.rebuild;
      return (
        `| ${int(w.n)} | ${int(w.objects)} | ${msText(median(t.total))} (${msText(quantile(t.total, 0.9))}) | ` +
        `${cell(t, 'store')} | ${cell(t, 'compile')} | ${cell(t, 'enqueueStale')} | ` +
        `${fixed((median(t.total) * 1000) / w.objects, 1)} | ${fixed(w.enqueuedPerChange, 0)} |`
      );
    }),
  ].join('\n');
}

export function heapTable(worlds: readonly ScaleChildResult[]): string {
  const per = heapPerClient(worlds);
  const rows = [
    '| clients | snapshot heap MB | operator world heap MB (caches, parsed specs, snapshot, resolutions) |',
    '| ---: | ---: | ---: |',
    ...worlds.map((w) => `| ${int(w.n)} | ${mb(w.heap.snapshotBytes)} | ${mb(w.heap.operatorBytes)} |`),
  ];
  if (per !== undefined) {
    rows.push(
      `| per client, ${int(per.from)} → ${int(per.to)} | ${fixed(per.snapshotBytes / 1024, 2)} KiB | ${fixed(per.operatorBytes / 1024, 2)} KiB |`,
    );
  }
  return rows.join('\n');
}

function spread(ratios: readonly number[]): string {
  if (ratios.length < 2) return '';
  return ` (${fixed(Math.min(...ratios), 2)}–${fixed(Math.max(...ratios), 2)})`;
}

export function tokenTable(t: TokenComparison): string {
  const row = (w: TokenWorld) =>
    `| ${int(w.clients)} | ${int(w.summary.requestsPerSecond)} | ${fixed(w.summary.p50, 1)} | ${fixed(w.summary.p99, 1)} | ` +
    `${w.summary.cpuMicrosPerToken === undefined ? 'n/a' : int(w.summary.cpuMicrosPerToken)} | ` +
    `${w.idleRssBytes === undefined ? 'n/a' : mb(w.idleRssBytes)} | ${fixed(w.readySeconds, 1)} |`;
  const ratio = (f: (s: Summary) => number | undefined) => {
    const a = f(t.large.summary);
    const b = f(t.small.summary);
    return a === undefined || b === undefined ? 'n/a' : `${fixed(a / b, 2)}×`;
  };
  const rss =
    t.large.idleRssBytes === undefined || t.small.idleRssBytes === undefined
      ? 'n/a'
      : `${fixed(t.large.idleRssBytes / t.small.idleRssBytes, 2)}×`;
  return [
    '| clients | tokens/s | p50 ms | p99 ms | CPU µs/token | idle RSS MB | ready after s |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row(t.small),
    row(t.large),
    `| ${int(t.large.clients)} / ${int(t.small.clients)} | ${ratio((s) => s.requestsPerSecond)}${spread(t.roundRatios)} | ` +
      `${ratio((s) => s.p50)} | ${ratio((s) => s.p99)} | ${ratio((s) => s.cpuMicrosPerToken)} | ${rss} | |`,
  ].join('\n');
}

export function profileSection(p: NonNullable<ScaleReport['profile']>): string {
  return [
    `CPU profile of ${p.rebuilds} rebuilds with ${int(p.n)} clients (${int(p.summary.busyMs)} ms busy):`,
    '',
    profileTable(p.summary.self, 'self time'),
    '',
    profileTable(p.summary.inclusive, 'inclusive time'),
  ].join('\n');
}

export function describeScaleSettings(s: ScaleSettings): string {
  return (
    `rebuilds: ${s.warmupRebuilds} warm-up + ${s.repeats} measured per size, each after changing one random client; ` +
    `tokens: ${s.connections} keep-alive connections over ${s.parallel} load generators (each its own random client), ` +
    `${s.warmupSeconds}s warm-up + ${s.measureSeconds}s measured per run, ${s.rounds} round${s.rounds === 1 ? '' : 's'} ` +
    `per world, alternating which world goes first`
  );
}

export const SCALE_NOTES = `- Rebuild: \`Controller.rebuild()\` of the operator on in-memory informer caches of a converged world (every
  Secret generated, every status written), after changing one client's spec; it reads the caches, compiles
  and swaps the snapshot (\`Store.rebuild\`), then compares with the decision the status and Secret of the
  objects whose cached object, resolution or Secret changed since the rebuild before
  (src/operator/recheck-after-rebuild.ts).
  \`Store.rebuild\` compiles with the previous compile, reusing each object whose inputs did not change;
  \`compile()\` from scratch is the same call without it (what the first rebuild and \`latchkey validate\` do);
  \`enqueueStale()\` alone is the check of every object a replica makes when it becomes the leader (and on its
  first rebuild), timed on the same state.
- Heap: heapUsed after gc() of the snapshot alone, and of the whole in-memory operator world, minus the same
  before the world was built; one process per size.
- Tokens: \`latchkey dev\` on a folder declaring each world, loaded by load.ts with client_credentials (RS256,
  \`audience\` only; the token carries the grant's and the Role's scope). Ratios are large world / small world.`;

/** The committed results file: the tables, how it was run, and the numbers as JSON. */
export function scaleMarkdown(report: ScaleReport): string {
  const per = heapPerClient(report.worlds);
  const json = {
    ...report,
    worlds: report.worlds.map((w) => ({
      n: w.n,
      objects: w.objects,
      heap: w.heap,
      enqueuedPerChange: w.enqueuedPerChange,
      rebuildMs: Object.fromEntries(
        (Object.keys(w.rebuild) as (keyof RebuildTimes)[]).map((part) => [
          part,
          { median: round(median(w.rebuild[part])), p90: round(quantile(w.rebuild[part], 0.9)) },
        ]),
      ),
    })),
    heapPerClient: per,
    tokens: {
      roundRatios: report.tokens.roundRatios.map(round),
      small: compactWorld(report.tokens.small),
      large: compactWorld(report.tokens.large),
    },
    profile: undefined,
  };
  return [
    `# The declared world at scale, ${report.date}`,
    '',
    "`npm run bench:scale`: how one change's snapshot rebuild, the heap and token latency grow with the",
    'number of OAuthClients (each with a direct grant and its own Role, one ResourceServer); what each figure',
    'means is in the notes below the tables.',
    '',
    rebuildTable(report.worlds),
    '',
    heapTable(report.worlds),
    '',
    tokenTable(report.tokens),
    '',
    SCALE_NOTES,
    '',
    ...(report.profile === undefined ? [] : [profileSection(report.profile), '']),
    ...resultsFooter(
      {
        commit: report.commit,
        machine: `${describeMachine(report.machine)}; shared with other work (load average ${fixed(report.loadAverage.start, 1)} at the start, ${fixed(report.loadAverage.end, 1)} at the end)`,
        settings: describeScaleSettings(report.settings),
      },
      json,
    ),
  ].join('\n');
}

function round(n: number): number {
  return Number(n.toFixed(3));
}

function compactWorld(w: TokenWorld) {
  return {
    clients: w.clients,
    readySeconds: round(w.readySeconds),
    idleRssBytes: w.idleRssBytes ?? null,
    distinctClients: w.distinctClients,
    requestsPerSecond: Math.round(w.summary.requestsPerSecond),
    p50Ms: round(w.summary.p50),
    p99Ms: round(w.summary.p99),
    runs: w.summary.runs.map(Math.round),
    cpuMicrosPerToken: w.summary.cpuMicrosPerToken === undefined ? null : round(w.summary.cpuMicrosPerToken),
    loadGeneratorCores: round(w.summary.loadGeneratorCores),
  };
}
