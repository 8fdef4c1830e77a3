/**
 * What every bench's command line shares: `--quick`, `--no-save` and `--help`, the run settings of the
 * token benches, and how a bench ends (its exit code, Ctrl-C, an error), stopping what it started.
 */

import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import type { Settings } from './report.ts';

const SHARED_FLAGS = {
  quick: { type: 'boolean', default: false },
  'no-save': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** `--connections`, `--warmup`, `--duration` and `--rounds`, read by {@link runSettings}. */
export const RUN_FLAGS = {
  connections: { type: 'string' },
  warmup: { type: 'string' },
  duration: { type: 'string' },
  rounds: { type: 'string' },
} as const;

export type RunFlag = keyof typeof RUN_FLAGS;

export interface BenchArgs<V> {
  values: V;
  quick: boolean;
  /** A quick run's numbers are too rough to commit. */
  save: boolean;
}

/**
 * Parses a bench's flags, strictly, with the shared ones added; undefined for `--help`.
 *
 * @example
 * parseBenchArgs(['--quick'], { n: { type: 'string' } }); // { values: { n: undefined, quick: true, … }, quick: true, save: false }
 */
export function parseBenchArgs<const O extends ParseArgsOptionsConfig>(argv: string[], flags: O) {
  const { values } = parseArgs({
    args: argv,
    options: { ...flags, ...SHARED_FLAGS },
    strict: true,
    allowPositionals: false,
  });
  const shared = values as unknown as { quick: boolean; 'no-save': boolean; help: boolean };
  if (shared.help) return undefined;
  return { values, quick: shared.quick, save: !shared['no-save'] && !shared.quick };
}

/**
 * A number flag: its text, else `fallback`. Refused unless finite and above zero (or zero, with `allowZero`).
 *
 * @example
 * positive('warmup', '1.5', 2); // 1.5
 * positive('warmup', '0', 2); // throws: --warmup must be a positive number, got 0
 */
export function positive(
  name: string,
  text: string | undefined,
  fallback: number,
  allowZero = false,
): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !allowZero)) {
    throw new Error(`--${name} must be a positive number, got ${text}`);
  }
  return n;
}

/**
 * The run settings of a token bench from {@link RUN_FLAGS}: 32 connections, 2 s warm-up and 4 s measured
 * (1 s and 2 s, one round, with `--quick`). A flag not given falls back to its entry in `env`.
 */
export function runSettings(
  values: Partial<Record<RunFlag, string>>,
  quick: boolean,
  rounds: number,
  env: Partial<Record<RunFlag, string>> = {},
): Settings {
  const read = (flag: RunFlag, fallback: number) => positive(flag, values[flag] ?? env[flag], fallback);
  return {
    connections: Math.round(read('connections', 32)),
    warmupSeconds: read('warmup', quick ? 1 : 2),
    measureSeconds: read('duration', quick ? 2 : 4),
    rounds: Math.round(read('rounds', quick ? 1 : rounds)),
  };
}

/** Prints why a run is not valid; true when it is. */
export function reportValidity(problems: readonly string[]): boolean {
  if (problems.length === 0) return true;
  process.stderr.write(`\nThe run is not valid:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  return false;
}

export interface Bench<O> {
  /** The prefix of an error's line: the npm script's name. */
  name: string;
  /** Printed for `--help`. */
  usage: string;
  /** The bench's options from its arguments; undefined for `--help`. */
  parse(argv: string[]): O | undefined;
  /** The bench itself: resolves with the exit code. */
  main(options: O): Promise<number>;
  /** What Ctrl-C says it stops. */
  stopping: string;
  /** Stops the bench's processes and removes its temporary files; also runs after an error. */
  stop(): Promise<void>;
  /** Print an error's stack, not only its message. */
  stack?: boolean;
}

/**
 * Runs a bench on this process's arguments (or prints its usage) and exits with its code, stopping what it
 * started on Ctrl-C, SIGTERM or an error.
 */
export function runBench<O>(bench: Bench<O>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping ${bench.stopping}\n`);
      void bench.stop().finally(() => process.exit(130));
    });
  }
  const run = async (): Promise<number> => {
    const options = bench.parse(process.argv.slice(2));
    if (options !== undefined) return bench.main(options);
    process.stdout.write(bench.usage);
    return 0;
  };
  run().then(
    (code) => process.exit(code),
    async (err: unknown) => {
      const detail = bench.stack === true ? ((err as Error).stack ?? String(err)) : (err as Error).message;
      process.stderr.write(`${bench.name}: ${detail}\n`);
      await bench.stop();
      process.exit(1);
    },
  );
}
