/**
 * Memory and CPU time of a process and its descendants, from /proc (Linux only; elsewhere every figure is
 * undefined). A server's cost is its whole tree: Keycloak's `timeout` → JVM, or a Node server with workers.
 */

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** user + system clock ticks, every thread. */
  cpuTicks: number;
}

/** Parses /proc/<pid>/stat (proc(5)): the command name may hold spaces and parentheses. */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open === -1 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // After "pid (comm) ": state is field 3, ppid 4, utime 14, stime 15.
  const fields = text.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isInteger(pid) || !Number.isInteger(ppid) || !Number.isFinite(cpuTicks)) return undefined;
  return { pid, ppid, comm: text.slice(open + 1, close), cpuTicks };
}

/** `VmRSS` of /proc/<pid>/status in bytes. */
export function parseVmRss(status: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function allStats(): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const stats: ProcStat[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const text = read(`/proc/${name}/stat`);
    const stat = text === undefined ? undefined : parseStat(text);
    if (stat !== undefined) stats.push(stat);
  }
  return stats;
}

/** `root` and every process below it, root first. */
export function processTree(root: number, stats: readonly ProcStat[] = allStats()): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const self = stats.find((s) => s.pid === root);
  if (self === undefined) return [];
  const tree = [self];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!.pid) ?? []));
  return tree;
}

/** The first process named `comm` in the tree of `root`, for a server behind wrappers (Keycloak's JVM). */
export function findInTree(root: number, comm: string): number | undefined {
  return processTree(root).find((s) => s.comm === comm)?.pid;
}

let ticksPerSecond: number | undefined;

export interface TreeUsage {
  /** Resident memory of every process in the tree, in bytes. */
  rssBytes: number;
  /** CPU seconds the processes in the tree have used so far (exited children not counted). */
  cpuSeconds: number;
}

export function treeUsage(root: number): TreeUsage | undefined {
  const tree = processTree(root);
  if (tree.length === 0) return undefined;
  try {
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    ticksPerSecond = 100;
  }
  let rssBytes = 0;
  let ticks = 0;
  for (const p of tree) {
    rssBytes += parseVmRss(read(`/proc/${p.pid}/status`) ?? '') ?? 0;
    ticks += p.cpuTicks;
  }
  return { rssBytes, cpuSeconds: ticks / ticksPerSecond };
}

/** Samples the tree's RSS at an interval until stopped; returns the highest seen. */
export function sampleRss(root: number, intervalMs: number): { stop(): number | undefined } {
  let peak: number | undefined;
  const take = () => {
    const usage = treeUsage(root);
    if (usage !== undefined) peak = Math.max(peak ?? 0, usage.rssBytes);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}
