/**
 * One N of `npm run bench:scale`, in its own process so heap readings of different N never mix: the heap of a
 * converged operator world and of its snapshot alone, then rebuilds after one change each, timed as a whole
 * and in parts. Runs with `--expose-gc`; prints one {@link ScaleChildResult} line. Started by scale-bench.ts.
 */

import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { compile } from '../../src/store/compile.ts';
import { objectKey } from '../../src/store/objects.ts';
import type { Snapshot } from '../../src/store/snapshot.ts';
import { readConfig } from '../lib/protocol.ts';
import { clientName, WORKLOAD_NAMESPACE } from '../lib/declared-objects.ts';
import { operatorWorld, type OperatorWorld } from './scale-world.ts';

export interface ScaleChildConfig {
  n: number;
  /** Rebuilds before the measured ones, so the JIT has compiled the hot paths. */
  warmup: number;
  repeats: number;
  /** Where to write a V8 CPU profile of `profileRepeats` more rebuilds; none when absent. */
  profilePath?: string;
  profileRepeats?: number;
}

/** Milliseconds per measured rebuild, in order. */
export interface RebuildTimes {
  /** `Controller.rebuild()`: read the caches, compile and swap (Store.rebuild), check what changed, enqueue what is stale. */
  total: number[];
  /** The Store's part: compile, then the scan of resolutions for objects that are not Ready. */
  store: number[];
  /** `compile()` from scratch (no previous compile to reuse) on the same inputs. */
  compile: number[];
  /** `Controller.enqueueStale()` alone on the same state: the full check of every object, as on becoming leader. */
  enqueueStale: number[];
}

export interface ScaleChildResult {
  n: number;
  /** Declared objects: the ResourceServer, n Roles, n OAuthClients. */
  objects: number;
  /** heapUsed after gc() minus the same before the world existed. */
  heap: { operatorBytes: number; snapshotBytes: number };
  rebuild: RebuildTimes;
  /** Objects each change put on the queues (the changed client alone, when the world is at rest). */
  enqueuedPerChange: number;
}

const gc = globalThis.gc;
if (gc === undefined) throw new Error('scale-child.ts runs with --expose-gc');

function heapUsed(): number {
  // Twice: objects that die in the first collection may keep others alive until the second.
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

const randomClient = (n: number) => Math.floor(Math.random() * n);

/** One change and the rebuild it causes, then the status write the reconciler would make for it. */
function changeAndRebuild(world: OperatorWorld, i: number): { totalMs: number; enqueued: string[] } {
  world.changeClient(i);
  world.clearEnqueued();
  const started = performance.now();
  world.controller.rebuild();
  const totalMs = performance.now() - started;
  const enqueued = world.enqueued();
  world.writeStatus('OAuthClient', clientName(i));
  return { totalMs, enqueued };
}

async function rebuilds(
  world: OperatorWorld,
  config: ScaleChildConfig,
): Promise<RebuildTimes & { enqueued: number }> {
  const times: RebuildTimes = { total: [], store: [], compile: [], enqueueStale: [] };
  let enqueued = 0;
  for (let k = 0; k < config.warmup + config.repeats; k++) {
    const i = randomClient(world.n);
    const once = changeAndRebuild(world, i);
    const expected = objectKey('OAuthClient', WORKLOAD_NAMESPACE, clientName(i));
    if (!once.enqueued.includes(expected)) throw new Error(`changing ${expected} did not enqueue it`);
    const storeMs = world.store.lastMs;
    const inputs = world.store.lastInputs;
    if (inputs === undefined) throw new Error('the controller did not rebuild the store');
    let started = performance.now();
    compile(inputs, world.keys, 0);
    const compileMs = performance.now() - started;
    started = performance.now();
    world.controller.enqueueStale();
    const enqueueMs = performance.now() - started;
    if (k < config.warmup) continue;
    times.total.push(once.totalMs);
    times.store.push(storeMs);
    times.compile.push(compileMs);
    times.enqueueStale.push(enqueueMs);
    enqueued += once.enqueued.length;
  }
  return { ...times, enqueued: enqueued / config.repeats };
}

/** A CPU profile of rebuilds alone (changes and status writes between them are cheap and outside). */
async function profileRebuilds(world: OperatorWorld, path: string, repeats: number): Promise<void> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  for (let k = 0; k < repeats; k++) changeAndRebuild(world, randomClient(world.n));
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  await writeFile(path, JSON.stringify(profile));
}

async function measure(config: ScaleChildConfig, base: number) {
  const world = await operatorWorld(config.n);
  const operatorBytes = heapUsed() - base;
  const times = await rebuilds(world, config);
  if (config.profilePath !== undefined) {
    await profileRebuilds(world, config.profilePath, config.profileRepeats ?? config.repeats);
  }
  return { operatorBytes, times, snapshot: world.store.current() };
}

async function main(): Promise<ScaleChildResult> {
  const config = readConfig<ScaleChildConfig>();
  const base = heapUsed();
  // Only the snapshot outlives measure(): the caches, parsed specs and resolutions are garbage by now.
  const { operatorBytes, times, snapshot } = await measure(config, base);
  const snapshotBytes = heapUsed() - base;
  const kept: Snapshot = snapshot;
  if (kept.clients.size !== config.n)
    throw new Error(`the snapshot holds ${kept.clients.size} clients, not ${config.n}`);
  const { enqueued, ...rebuild } = times;
  return {
    n: config.n,
    objects: 2 * config.n + 1,
    heap: { operatorBytes, snapshotBytes },
    rebuild,
    enqueuedPerChange: enqueued,
  };
}

main().then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0)),
  (err: unknown) => {
    process.stderr.write(`scale-child: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
