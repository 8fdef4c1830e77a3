/** The reconcile bench's figures: the tables people read, the linearity check and the results file. */

import type { LogSummary, Memory } from './reconcile-operator.ts';
import { profileTable, type ProfileSummary } from '../lib/profile.ts';
import { describeMachine, resultsFooter, type Machine } from '../lib/report.ts';

export interface SizeResult {
  n: number;
  /** Seconds from the first create to the last answer, 2N creates (Role and OAuthClient per client). */
  createSeconds: number;
  createRetries: number;
  /** Seconds from the first create until every OAuthClient and Role is Ready for generation 1. */
  readySeconds: number;
  /**
   * The same from the objects themselves: the latest Ready lastTransitionTime (whole seconds, so the true
   * moment is up to 1 s later) minus the first create's wall-clock time. Does not depend on the poll interval.
   */
  lastReadyTransitionSeconds: number | undefined;
  /** Seconds from the last create's answer until then: how far the operator trails the writes. */
  readyAfterCreateSeconds: number;
  /** Seconds from the first create until a token was issued for every client. */
  tokensSeconds: number;
  /** Seconds the token phase alone took (one Secret list, N token requests). */
  tokenPhaseSeconds: number;
  tokenFailures: number;
  firstTokenFailure?: string;
  /**
   * CPU seconds (all threads) from the first create to all Ready, per process: `operator`, `kube-apiserver`,
   * `etcd`, and `bench` (this process: creating and polling).
   */
  cpuToReady: Record<string, number>;
  /** Operator CPU seconds from the first create to all tokens (the token phase signs N tokens). */
  operatorCpuToTokens: number;
  /** Busy share of the whole machine (every core) from the first create to all Ready. */
  machineBusy: number;
  /** Ready polls made, their mean duration, and what one costs kube-apiserver and the bench in CPU seconds. */
  polls: { count: number; meanMs: number; apiserverCpuSeconds: number; benchCpuSeconds: number };
  /** Events the operator recorded in the workload namespace, by `type/reason`. */
  events: Record<string, number>;
  /** Operator memory after a full GC, with no objects (baseline) and after everything. */
  baseline: Memory;
  after: Memory;
  /** One more OAuthClient at a time: milliseconds from its create to Ready, and to a token. */
  newClientReadyMs: number[];
  newClientTokenMs: number[];
  /** CPU seconds per process over the new-client repetitions (pauses included). */
  newClientCpu: Record<string, number>;
  /** The operator's log over the new-client repetitions. */
  newClientLog: LogSummary;
  /** controller_runtime_reconcile_total by controller, at the end. */
  reconciles: Record<string, number>;
  log: LogSummary;
  /** CPU profiles of the operator's main thread: first create to all tokens, and the new-client repetitions. */
  profile?: { converge: ProfileSummary; newClients: ProfileSummary };
}

export interface ReconcileReport {
  date: string;
  commit: string;
  machine: Machine;
  settings: {
    concurrency: number;
    pollMs: number;
    pollSpacing: number;
    newClientRepeats: number;
    profiled: boolean;
  };
  sizes: SizeResult[];
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const sec = (n: number) => n.toFixed(1);
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const cpu = (s: SizeResult, name: string) => s.cpuToReady[name] ?? 0;

/** One row per N: the absolute figures. */
export function sizeTable(sizes: readonly SizeResult[]): string {
  return [
    '| N clients | create 2N objects s (objects/s) | all Ready s (after last create) | tokens for all s | CPU s to Ready: operator / apiserver / etcd / bench / other | machine busy | operator heap / RSS MB, empty → after | new client Ready ms, median (min–max) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...sizes.map(
      (s) =>
        `| ${int(s.n)} | ${sec(s.createSeconds)} (${int((2 * s.n) / s.createSeconds)}) | ` +
        `${sec(s.readySeconds)} (+${sec(s.readyAfterCreateSeconds)}) | ${sec(s.tokensSeconds)} | ` +
        `${['operator', 'kube-apiserver', 'etcd', 'bench', 'other'].map((p) => sec(cpu(s, p))).join(' / ')} | ` +
        `${Math.round(s.machineBusy * 100)} % | ` +
        `${mb(s.baseline.heapUsedBytes)} / ${mb(s.baseline.rssBytes)} → ${mb(s.after.heapUsedBytes)} / ${mb(s.after.rssBytes)} | ` +
        `${int(median(s.newClientReadyMs))} (${int(Math.min(...s.newClientReadyMs))}–${int(Math.max(...s.newClientReadyMs))}) |`,
    ),
  ].join('\n');
}

interface PerClient {
  label: string;
  value: (s: SizeResult) => number;
  format: (n: number) => string;
  /**
   * What the linearity verdict makes of it: `wall` and `cpu` and `memory` figures must stay flat per client
   * (wall-clock ones only on a quiet machine); `info` ones are shown, not judged.
   */
  kind: 'wall' | 'cpu' | 'memory' | 'info';
}

const PER_CLIENT: readonly PerClient[] = [
  {
    label: 'create, ms per client',
    value: (s) => (s.createSeconds * 1000) / s.n,
    format: (n) => n.toFixed(2),
    kind: 'wall',
  },
  {
    label: 'all Ready, ms per client',
    value: (s) => (s.readySeconds * 1000) / s.n,
    format: (n) => n.toFixed(2),
    kind: 'wall',
  },
  {
    label: 'tokens for all, ms per client',
    value: (s) => (s.tokensSeconds * 1000) / s.n,
    format: (n) => n.toFixed(2),
    kind: 'wall',
  },
  {
    label: 'operator CPU to Ready, ms per client',
    value: (s) => (cpu(s, 'operator') * 1000) / s.n,
    format: (n) => n.toFixed(2),
    kind: 'cpu',
  },
  {
    label: 'CPU of the whole run to Ready (operator, kube-apiserver, etcd, bench), ms per client',
    value: (s) =>
      ((cpu(s, 'operator') + cpu(s, 'kube-apiserver') + cpu(s, 'etcd') + cpu(s, 'bench')) * 1000) / s.n,
    format: (n) => n.toFixed(2),
    kind: 'cpu',
  },
  {
    label: 'kube-apiserver + etcd CPU to Ready, ms per client',
    value: (s) => ((cpu(s, 'kube-apiserver') + cpu(s, 'etcd')) * 1000) / s.n,
    format: (n) => n.toFixed(2),
    kind: 'info',
  },
  {
    label: 'operator heap, KiB per client (after − baseline)',
    value: (s) => (s.after.heapUsedBytes - s.baseline.heapUsedBytes) / s.n,
    format: (n) => kb(n),
    kind: 'memory',
  },
  {
    label: 'operator RSS, KiB per client (after − baseline)',
    value: (s) => (s.after.rssBytes - s.baseline.rssBytes) / s.n,
    format: (n) => kb(n),
    kind: 'info',
  },
  {
    label: 'store rebuilds (store.swapped log lines)',
    value: (s) => s.log.byEvent['store.swapped'] ?? 0,
    format: (n) => int(n),
    kind: 'info',
  },
  {
    label: 'log lines per client',
    value: (s) => s.log.lines / s.n,
    format: (n) => n.toFixed(1),
    kind: 'info',
  },
  {
    label: 'new client Ready, ms (median; not per client)',
    value: (s) => median(s.newClientReadyMs),
    format: (n) => int(n),
    kind: 'info',
  },
];

/** What the operator did: reconciles, rebuilds and log volume (where the time went, when it is slow). */
export function describeWork(s: SizeResult): string {
  const events = Object.entries(s.log.byEvent)
    .sort((a, b) => b[1] - a[1])
    .map(([event, lines]) => `${event} ${int(lines)}`)
    .join(', ');
  const reconciles = Object.entries(s.reconciles)
    .map(([controller, count]) => `${controller} ${int(count)}`)
    .join(', ');
  return (
    `N = ${int(s.n)}: reconciles ${reconciles}; log ${int(s.log.lines)} lines, ${mb(s.log.bytes)} MB (${events}); ` +
    `last Ready transition in status at ${s.lastReadyTransitionSeconds === undefined ? '?' : `${s.lastReadyTransitionSeconds.toFixed(0)}–${(s.lastReadyTransitionSeconds + 1).toFixed(0)}`} s; ` +
    `${s.polls.count} Ready polls of ${s.polls.meanMs.toFixed(0)} ms on average, ` +
    `≈ ${(s.polls.count * s.polls.apiserverCpuSeconds).toFixed(1)} s of kube-apiserver CPU ` +
    `(${s.polls.apiserverCpuSeconds.toFixed(2)} s each); events ${Object.entries(s.events)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, count]) => `${reason} ${int(count)}`)
      .join(', ')}; peak operator RSS ${mb(s.after.peakRssBytes)} MB; ` +
    `token phase ${s.tokenPhaseSeconds.toFixed(1)} s (operator CPU to tokens ${s.operatorCpuToTokens.toFixed(1)} s); ` +
    `create retries ${s.createRetries}; new clients: ${int(s.newClientLog.byEvent['store.swapped'] ?? 0)} store rebuilds, ` +
    `${int(s.newClientLog.lines)} log lines, CPU s ${Object.entries(s.newClientCpu)
      .map(([p, v]) => `${p} ${v.toFixed(1)}`)
      .join(', ')}` +
    (s.log.notable.length > 0
      ? `\n  notable log lines:\n${s.log.notable.map((l) => `    ${l}`).join('\n')}`
      : '')
  );
}

/** The operator's CPU profiles of one size, as markdown. */
export function profileSection(s: SizeResult, top = 12): string {
  const p = s.profile;
  if (p === undefined) return '';
  const rebuilds = s.newClientLog.byEvent['store.swapped'] ?? 0;
  const rebuildMs = p.newClients.watched.find((w) => w.fn.startsWith('rebuild src/operator'))?.ms ?? 0;
  const phase = (title: string, summary: ProfileSummary) =>
    [
      `#### ${title}: main thread busy ${int(summary.busyMs)} ms of ${int(summary.totalMs)} ms`,
      '',
      profileTable(summary.self.slice(0, top), 'self time'),
      '',
      profileTable(summary.inclusive.slice(0, top), 'inclusive time'),
      '',
      profileTable(summary.watched, 'watched (inclusive)'),
      '',
    ].join('\n');
  return [
    `### Operator CPU profile, N = ${int(s.n)}`,
    '',
    phase('First create to all tokens', p.converge),
    phase(`${s.newClientReadyMs.length} new clients, one at a time`, p.newClients),
    rebuilds > 0
      ? `New-client phase: ${rebuilds} store rebuilds, ${(rebuildMs / rebuilds).toFixed(1)} ms of main thread each ` +
        `(${(rebuilds / s.newClientReadyMs.length).toFixed(1)} per new client).\n`
      : '',
  ].join('\n');
}

/** Per-client costs side by side, with the ratio of the largest N to the smallest (≈ 1 when linear). */
export function perClientTable(sizes: readonly SizeResult[]): string {
  const first = sizes[0];
  const last = sizes.at(-1);
  const ratioHeader = sizes.length > 1 && first && last ? ` ratio ${int(last.n)} / ${int(first.n)} |` : '';
  return [
    `| per client |${sizes.map((s) => ` N = ${int(s.n)} |`).join('')}${ratioHeader}`,
    `| --- |${sizes.map(() => ' ---: |').join('')}${ratioHeader ? ' ---: |' : ''}`,
    ...PER_CLIENT.map((p) => {
      const cells = sizes.map((s) => ` ${p.format(p.value(s))} |`).join('');
      const ratio = ratioHeader && first && last ? ` ${(p.value(last) / p.value(first)).toFixed(2)} |` : '';
      return `| ${p.label} |${cells}${ratio}`;
    }),
  ].join('\n');
}

/** A ratio of per-client cost (largest N over smallest) above this is not linear. */
export const LINEAR_LIMIT = 1.3;

/** Which per-client figures grew by more than {@link LINEAR_LIMIT}; empty when the cost is linear. */
export function superlinear(sizes: readonly SizeResult[], judgeWallClock: boolean): string[] {
  const first = sizes[0];
  const last = sizes.at(-1);
  if (!first || !last || sizes.length < 2) return [];
  return PER_CLIENT.filter(
    (p) => p.kind === 'cpu' || p.kind === 'memory' || (p.kind === 'wall' && judgeWallClock),
  )
    .map((p) => ({ p, ratio: p.value(last) / p.value(first) }))
    .filter(({ ratio }) => ratio > LINEAR_LIMIT)
    .map(({ p, ratio }) => `${p.label}: ×${ratio.toFixed(2)}`);
}

/**
 * Linear when no judged per-client figure grew by more than {@link LINEAR_LIMIT}. On a noisy machine (see
 * {@link noise}) wall-clock times are not judged: other processes took a varying share of the cores.
 */
export function verdict(sizes: readonly SizeResult[], cores: number): string {
  if (sizes.length < 2) return 'one size only: run two sizes to check linearity';
  const quiet = noise(sizes, cores) === undefined;
  const grew = superlinear(sizes, quiet);
  const judged = quiet ? 'time, CPU and heap' : 'CPU and heap (not wall-clock time: the machine was noisy)';
  return grew.length === 0
    ? `linear: every judged per-client cost (${judged}) of N = ${int(sizes.at(-1)?.n ?? 0)} is within ×${LINEAR_LIMIT} of N = ${int(sizes[0]?.n ?? 0)}`
    : `NOT linear (per-client ${judged} grew more than ×${LINEAR_LIMIT}): ${grew.join('; ')}`;
}

/** Share of the machine (every core, first create to all Ready) that processes outside the run used. */
export function otherShare(s: SizeResult, cores: number): number {
  return (s.cpuToReady['other'] ?? 0) / (s.readySeconds * cores);
}

/** A warning when other processes used more than a tenth of the machine: wall-clock times are then inflated. */
export function noise(sizes: readonly SizeResult[], cores: number): string | undefined {
  const noisy = sizes.filter((s) => otherShare(s, cores) > 0.1);
  if (noisy.length === 0) return undefined;
  return (
    `other processes used ${noisy.map((s) => `${Math.round(otherShare(s, cores) * 100)} % (N = ${int(s.n)})`).join(', ')} ` +
    'of the machine while clients converged: wall-clock times are inflated; CPU per client is still comparable'
  );
}

function round(n: number, digits: number): number {
  return Number(n.toFixed(digits));
}

/** The committed results file: the tables, the verdict, how it was run, and the numbers as JSON. */
export function resultsMarkdown(report: ReconcileReport): string {
  const json = {
    ...report,
    sizes: report.sizes.map((s) => ({
      ...s,
      createSeconds: round(s.createSeconds, 2),
      readySeconds: round(s.readySeconds, 2),
      lastReadyTransitionSeconds:
        s.lastReadyTransitionSeconds === undefined ? null : round(s.lastReadyTransitionSeconds, 2),
      readyAfterCreateSeconds: round(s.readyAfterCreateSeconds, 2),
      tokensSeconds: round(s.tokensSeconds, 2),
      tokenPhaseSeconds: round(s.tokenPhaseSeconds, 2),
      cpuToReady: Object.fromEntries(Object.entries(s.cpuToReady).map(([k, v]) => [k, round(v, 2)])),
      operatorCpuToTokens: round(s.operatorCpuToTokens, 2),
      machineBusy: round(s.machineBusy, 3),
      newClientCpu: Object.fromEntries(Object.entries(s.newClientCpu).map(([k, v]) => [k, round(v, 2)])),
      polls: {
        count: s.polls.count,
        meanMs: round(s.polls.meanMs, 1),
        apiserverCpuSeconds: round(s.polls.apiserverCpuSeconds, 3),
        benchCpuSeconds: round(s.polls.benchCpuSeconds, 3),
      },
      newClientReadyMs: s.newClientReadyMs.map((n) => round(n, 1)),
      newClientTokenMs: s.newClientTokenMs.map((n) => round(n, 1)),
      profile: undefined,
    })),
  };
  const profiles = report.sizes.map((s) => profileSection(s)).filter((text) => text !== '');
  return [
    `# Operator reconcile at scale, ${report.date}`,
    '',
    '`npm run bench:reconcile`: N OAuthClients (each with a direct grant and its own Role) created through a',
    'real kube-apiserver while `latchkey operator` runs as a child process (see bench/README.md).',
    '',
    sizeTable(report.sizes),
    '',
    perClientTable(report.sizes),
    '',
    `Verdict: ${verdict(report.sizes, report.machine.cores)}.`,
    '',
    ...(noise(report.sizes, report.machine.cores) !== undefined
      ? [`Warning: ${noise(report.sizes, report.machine.cores)}.`, '']
      : []),
    ...report.sizes.map((s) => `- ${describeWork(s)}`),
    '',
    ...profiles,
    ...resultsFooter(
      {
        commit: report.commit,
        machine: describeMachine(report.machine),
        settings:
          `${report.settings.concurrency} creates in flight, Ready polled every ≥ ${report.settings.pollMs} ms ` +
          `and ≥ ${report.settings.pollSpacing}× a poll's duration, ` +
          `${report.settings.newClientRepeats} new clients polled every 20 ms${report.settings.profiled ? ', operator CPU-profiled' : ''}`,
      },
      json,
    ),
  ].join('\n');
}
