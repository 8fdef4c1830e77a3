import type { Clock } from '../clock.ts';
import { sleep, type Timers } from '../timers.ts';
import type { RecordKind, RuntimeState } from './runtime-state.ts';

/**
 * The cleaner of runtime state: deletes expired records in bounded batches on a schedule, so every table stays
 * the size of its live rows (issue 11; Hydra's tables that grow without bound are the warning, ory/hydra#1574).
 * Each batch is one short statement through the expiry index; between batches the cleaner yields so serving
 * traffic interleaves. One replica at a time cleans: the backend decides through its optional
 * `tryLeadCleaning` hook (PostgreSQL: a try-advisory-lock); the embedded backend has one process.
 */
export interface CleanerOptions {
  /** Time between the end of one run and the start of the next. */
  intervalMs: number;
  /** Records deleted per statement at most. */
  batch: number;
  /** Batches per run at most: a run that reaches it resumes at the next interval. */
  maxBatchesPerRun: number;
  /** Pause between batches, so a long backlog never monopolises the database or the event loop. */
  pauseMs: number;
}

export const DEFAULT_CLEANER_OPTIONS: CleanerOptions = {
  intervalMs: 60_000,
  batch: 1000,
  maxBatchesPerRun: 1000,
  pauseMs: 10,
};

/** What one scheduled run did; metrics and logging subscribe to these. */
export type CleanerEvent =
  | {
      type: 'cleaned';
      /** Deleted per kind in this run (kinds with none may be missing). */
      removed: Partial<Record<RecordKind, number>>;
      batches: number;
      /** `backlog`: the run stopped at maxBatchesPerRun with expired records left. */
      stoppedBy: CleanerStop;
      durationMs: number;
    }
  /** Another replica is cleaning now. */
  | { type: 'skipped' }
  /** The backend could not answer; the next run tries again. The message is for logs. */
  | { type: 'failed'; message: string };

export type CleanerStop = 'caught-up' | 'backlog' | 'stopped';

export interface CleanerDeps {
  state: RuntimeState;
  clock: Clock;
  timers: Timers;
  onEvent: (event: CleanerEvent) => void;
}

/**
 * Whether a run goes on after a batch: a short batch means nothing expired is left; the batch limit bounds a
 * run; a stop request ends it at once.
 */
export function nextAfterBatch(input: {
  deleted: number;
  batch: number;
  batches: number;
  maxBatchesPerRun: number;
  aborted: boolean;
}): CleanerStop | 'continue' {
  if (input.aborted) return 'stopped';
  if (input.deleted < input.batch) return 'caught-up';
  if (input.batches >= input.maxBatchesPerRun) return 'backlog';
  return 'continue';
}

/** One run: batches until caught up, the batch limit, or `signal`. Resolves with the run's event. */
export async function cleanOnce(
  deps: CleanerDeps,
  options: CleanerOptions,
  signal: AbortSignal,
): Promise<CleanerEvent> {
  const started = deps.clock();
  const removed: Partial<Record<RecordKind, number>> = {};
  let batches = 0;
  let stoppedBy: CleanerStop = 'stopped';
  const run = async () => {
    for (;;) {
      const deleted = await deps.state.deleteExpired(deps.clock(), options.batch);
      batches++;
      let total = 0;
      for (const [kind, n] of deleted) {
        removed[kind] = (removed[kind] ?? 0) + n;
        total += n;
      }
      const next = nextAfterBatch({ ...options, deleted: total, batches, aborted: signal.aborted });
      if (next !== 'continue') return void (stoppedBy = next);
      await sleep(options.pauseMs, signal, deps.timers);
    }
  };
  try {
    if (signal.aborted) return { type: 'cleaned', removed, batches, stoppedBy, durationMs: 0 };
    const led = deps.state.tryLeadCleaning ? await deps.state.tryLeadCleaning(run) : (await run(), true);
    if (!led) return { type: 'skipped' };
    return { type: 'cleaned', removed, batches, stoppedBy, durationMs: deps.clock() - started };
  } catch (error) {
    return { type: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
}

export interface Cleaner {
  /** Ends the current run after its batch, cancels the next, and resolves when nothing is left running. */
  stop(): Promise<void>;
}

/** Starts cleaning: the first run after one interval, then each `intervalMs` after the previous run ended. */
export function startCleaner(deps: CleanerDeps, options: CleanerOptions = DEFAULT_CLEANER_OPTIONS): Cleaner {
  const controller = new AbortController();
  let current: Promise<void> = Promise.resolve();
  let handle: unknown;
  const schedule = () => {
    if (controller.signal.aborted) return;
    handle = deps.timers.setTimeout(() => {
      current = cleanOnce(deps, options, controller.signal).then((event) => {
        schedule();
        deps.onEvent(event);
      });
    }, options.intervalMs);
  };
  schedule();
  return {
    async stop() {
      controller.abort();
      deps.timers.clearTimeout(handle);
      await current;
    },
  };
}
