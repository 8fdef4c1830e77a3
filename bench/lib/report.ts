/**
 * Summaries of the runs, the tables people read, and the results file of `npm run bench` that gets
 * committed. The other benches use the summaries, the machine line and {@link compactSummary}.
 */

import type { BenchAlgorithm, BenchKind, LoadResult } from './protocol.ts';

export type ServerName = 'latchkey' | 'floor';

/** One measured run: what the load generator saw, and the CPU time the server used meanwhile. */
export interface Run extends LoadResult {
  serverCpuSeconds: number | undefined;
}

export interface Summary {
  requestsPerSecond: number;
  /** Milliseconds, over the latencies of every run merged. */
  p50: number;
  p99: number;
  /** Requests per second of each run, in run order. */
  runs: number[];
  failed: number;
  /** Server CPU time (all threads) per token issued, in microseconds; undefined without /proc. */
  cpuMicrosPerToken: number | undefined;
  /** Cores the load generator kept busy on average: how much CPU it took from the server. */
  loadGeneratorCores: number;
  /** Why the runs are not valid, if they are not. */
  problems: string[];
}

/** One row of `npm run bench`: an algorithm and a kind of request, on both servers. */
export interface AlgorithmResult {
  alg: BenchAlgorithm;
  kind: BenchKind;
  latchkey: Summary;
  floor: Summary;
  /** Latchkey requests per second over the floor's. */
  ratio: number;
  /** The same, per round, from runs next to each other: their spread shows the noise. */
  roundRatios: number[];
}

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  os: string;
  threadPool: string;
}

export interface Settings {
  connections: number;
  warmupSeconds: number;
  measureSeconds: number;
  rounds: number;
}

export interface Report {
  date: string;
  commit: string;
  machine: Machine;
  settings: Settings;
  results: AlgorithmResult[];
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

/** Merges the runs of one server and algorithm: total requests over total time, percentiles of all latencies. */
export function summarize(runs: readonly Run[]): Summary {
  const arrays = runs.map((r) => {
    const bytes = Buffer.from(r.latencies, 'base64');
    return new Float64Array(
      bytes.buffer,
      bytes.byteOffset,
      bytes.byteLength / Float64Array.BYTES_PER_ELEMENT,
    );
  });
  const all = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    all.set(a, at);
    at += a.length;
  }
  all.sort();
  const problems: string[] = [];
  for (const r of runs) {
    if (r.failed > 0) problems.push(`${r.failed} failed requests, first: ${r.firstFailure ?? '?'}`);
    if (!r.sample.valid) problems.push(`sample token not valid: ${r.sample.error}`);
  }
  const sum = (f: (r: Run) => number) => runs.reduce((n, r) => n + f(r), 0);
  const ok = sum((r) => r.ok);
  const seconds = sum((r) => r.seconds);
  const cpuKnown = runs.every((r) => r.serverCpuSeconds !== undefined);
  return {
    requestsPerSecond: seconds > 0 ? ok / seconds : 0,
    p50: percentile(all, 0.5),
    p99: percentile(all, 0.99),
    runs: runs.map((r) => r.requestsPerSecond),
    failed: sum((r) => r.failed),
    cpuMicrosPerToken: cpuKnown
      ? (sum((r) => r.serverCpuSeconds ?? 0) / sum((r) => r.issued)) * 1e6
      : undefined,
    loadGeneratorCores: sum((r) => r.cpuSeconds) / sum((r) => r.elapsedSeconds),
    problems,
  };
}

/** Differences between the token shapes of the two servers (header and claim names, in order). */
export function shapeDifferences(latchkey: Run, floor: Run): string[] {
  if (!latchkey.sample.valid || !floor.sample.valid) return [];
  const diffs: string[] = [];
  const l = latchkey.sample;
  const f = floor.sample;
  if (l.headerKeys.join() !== f.headerKeys.join()) {
    diffs.push(`header: Latchkey ${l.headerKeys.join(',')} vs floor ${f.headerKeys.join(',')}`);
  }
  if (l.payloadKeys.join() !== f.payloadKeys.join()) {
    diffs.push(`claims: Latchkey ${l.payloadKeys.join(',')} vs floor ${f.payloadKeys.join(',')}`);
  }
  return diffs;
}

/** One run's figures on the console: rate, latency, CPU per answer where known, and why it is not valid. */
export function describeRun(one: Summary): string {
  return (
    `${Math.round(one.requestsPerSecond)} req/s, p50 ${one.p50.toFixed(1)} ms, p99 ${one.p99.toFixed(1)} ms` +
    (one.cpuMicrosPerToken === undefined ? '' : `, ${one.cpuMicrosPerToken.toFixed(0)} µs CPU/token`) +
    (one.problems.length > 0 ? `  INVALID: ${one.problems.join('; ')}` : '')
  );
}

/** The first cell of a row: the algorithm alone for client_secret_basic, as before the other kinds existed. */
export function rowLabel(r: Pick<AlgorithmResult, 'alg' | 'kind'>): string {
  return r.kind === 'client_secret_basic' ? r.alg : `${r.alg} ${r.kind}`;
}

/** What the rows other than the bare algorithm measure, under the tables. */
export const KIND_NOTES = [
  'Rows: the algorithm alone is `client_secret_basic`; `private_key_jwt` authenticates with a fresh ES256',
  'assertion per request; `federation` with a workload token (RS256, reused) of a Connection of type `oidc`;',
  '`introspection` is RFC 7662 introspection of a valid access token by its client (req/s and µs per answer).',
].join('\n');

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => n.toFixed(1);

/** The comparison as a markdown table (also what the console shows). */
export function table(results: readonly AlgorithmResult[]): string {
  const rows = [
    '| algorithm | Latchkey req/s | floor req/s | ratio | Latchkey p50 / p99 ms | floor p50 / p99 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${rowLabel(r)} | ${int(r.latchkey.requestsPerSecond)} | ${int(r.floor.requestsPerSecond)} | ` +
        `${r.ratio.toFixed(2)}${spread(r.roundRatios)} | ${ms(r.latchkey.p50)} / ${ms(r.latchkey.p99)} | ${ms(r.floor.p50)} / ${ms(r.floor.p99)} |`,
    ),
  ];
  return rows.join('\n');
}

function spread(ratios: readonly number[]): string {
  if (ratios.length < 2) return '';
  return ` (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
}

const micros = (n: number | undefined) => (n === undefined ? 'n/a' : n.toFixed(0));

/** Server CPU per answer (a token, or an introspection): steadier than requests per second on shared cores. */
export function cpuTable(results: readonly AlgorithmResult[]): string {
  const rows = [
    '| algorithm | Latchkey CPU µs/token | floor CPU µs/token | Latchkey / floor | load generator cores (Latchkey / floor runs) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...results.map((r) => {
      const { latchkey: l, floor: f } = r;
      const times =
        l.cpuMicrosPerToken === undefined || f.cpuMicrosPerToken === undefined
          ? 'n/a'
          : `${(l.cpuMicrosPerToken / f.cpuMicrosPerToken).toFixed(2)}×`;
      return (
        `| ${rowLabel(r)} | ${micros(l.cpuMicrosPerToken)} | ${micros(f.cpuMicrosPerToken)} | ${times} | ` +
        `${l.loadGeneratorCores.toFixed(2)} / ${f.loadGeneratorCores.toFixed(2)} |`
      );
    }),
  ];
  return rows.join('\n');
}

export function describeMachine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, Node.js ${m.node}, ${m.os}, libuv thread pool ${m.threadPool}`;
}

export function describeSettings(s: Settings): string {
  return (
    `${s.connections} keep-alive connections, ${s.warmupSeconds}s warm-up + ${s.measureSeconds}s measured per run, ` +
    `${s.rounds} round${s.rounds === 1 ? '' : 's'} per server and algorithm, alternating which server goes first`
  );
}

/** The committed results file: the tables, how it was run, and the numbers as JSON. */
export function resultsMarkdown(report: Report): string {
  const json = {
    ...report,
    results: report.results.map((r) => ({
      alg: r.alg,
      kind: r.kind,
      ratio: round(r.ratio, 3),
      roundRatios: r.roundRatios.map((n) => round(n, 3)),
      latchkey: compactSummary(r.latchkey),
      floor: compactSummary(r.floor),
    })),
  };
  return [
    `# Token endpoint throughput, ${report.date}`,
    '',
    '`npm run bench`: `grant_type=client_credentials` tokens per second over keep-alive, Latchkey dev mode',
    'against a minimal `node:http` floor server doing the same work (see bench/README.md). Ratio is',
    'Latchkey over floor; in brackets the lowest and highest ratio of one round.',
    '',
    table(report.results),
    '',
    cpuTable(report.results),
    '',
    KIND_NOTES,
    '',
    ...resultsFooter(
      {
        commit: report.commit,
        machine: describeMachine(report.machine),
        settings: describeSettings(report.settings),
      },
      json,
    ),
  ].join('\n');
}

/** How every results file ends: what ran, where and how, then the figures as JSON for tools to read back. */
export function resultsFooter(
  run: { commit: string; machine: string; settings: string },
  json: unknown,
): string[] {
  return [
    `- commit: ${run.commit}`,
    `- machine: ${run.machine}`,
    `- settings: ${run.settings}`,
    '',
    '```json',
    JSON.stringify(json, null, 2),
    '```',
    '',
  ];
}

export function round(n: number, digits: number): number {
  return Number(n.toFixed(digits));
}

/** A summary as the results files' JSON holds it: rounded, without the problems (a saved run has none). */
export function compactSummary(s: Summary) {
  return {
    requestsPerSecond: round(s.requestsPerSecond, 0),
    p50Ms: round(s.p50, 2),
    p99Ms: round(s.p99, 2),
    runs: s.runs.map((n) => round(n, 0)),
    cpuMicrosPerToken: s.cpuMicrosPerToken === undefined ? null : round(s.cpuMicrosPerToken, 1),
    loadGeneratorCores: round(s.loadGeneratorCores, 2),
  };
}
