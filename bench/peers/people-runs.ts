/**
 * Runs of the people cases (people-cases.ts) for `npm run bench:peers`: one load generator per run, which signs
 * the person in and mints codes or starts families before its clock starts and reads the server's CPU time
 * itself once it does, so the browser steps count for neither the rate nor the CPU per token.
 */

import { loadRun, startChild } from '../lib/children.ts';
import { sampleRss } from '../lib/proc-tree.ts';
import type { Run } from '../lib/report.ts';
import type { Server } from './peer-servers.ts';
import { nextPoolSize, peopleLoadConfig, type PeopleGrant } from './people-cases.ts';

const RSS_SAMPLE_MS = 250;
/** Minting codes and starting families before the clock: at most this long, on top of the run. */
const PREPARATION_SECONDS = 120;

export interface PeopleMeasured {
  result: Run;
  peakRss: number | undefined;
}

/**
 * The rate that sizes a server's next pool of codes after an `authorization_code` run: the run's rate, or, for a
 * run that failed (a pool spent within the warm-up on a fast, quiet machine), at least the pool over the warm-up,
 * so the next pool is larger rather than the same one failing again.
 */
export function nextCodeRate(
  result: { failed: number; requestsPerSecond: number },
  poolSize: number,
  warmupSeconds: number,
  known: number,
): number {
  if (result.failed === 0) return result.requestsPerSecond;
  return Math.max(known, poolSize / Math.max(warmupSeconds, 0.5));
}

/** The rate of the last `authorization_code` run of each server, which sizes its next pool of codes. */
const lastCodeRate = new Map<string, number>();

export async function measurePeople(
  server: Server,
  grant: PeopleGrant,
  seconds: { warmup: number; measure: number },
  connections: number,
): Promise<PeopleMeasured> {
  const pid = server.pid();
  const serverPids = [...(pid === undefined ? [] : [pid]), ...(server.morePids?.() ?? [])];
  const poolSize = nextPoolSize(lastCodeRate.get(server.peer), seconds.warmup + seconds.measure);
  const config = peopleLoadConfig(grant, {
    tokenEndpoint: server.tokenEndpoint,
    issuer: server.issuer,
    jwksUri: server.jwksUri,
    people: server.people,
    connections,
    warmupSeconds: seconds.warmup,
    measureSeconds: seconds.measure,
    poolSize,
    serverPids,
  });
  const sampler = pid === undefined ? undefined : sampleRss(pid, RSS_SAMPLE_MS);
  const load = startChild(`load (${server.peer} ${grant})`, {
    maxSeconds: Math.ceil(seconds.warmup + seconds.measure + PREPARATION_SECONDS),
    args: ['bench/lib/load.ts'],
    config,
  });
  // The load generator reads the server's CPU itself (serverPids); without /proc there is none.
  const result = await loadRun(load, () => undefined);
  if (grant === 'authorization_code') {
    const known = lastCodeRate.get(server.peer) ?? 0;
    lastCodeRate.set(server.peer, nextCodeRate(result, poolSize, seconds.warmup, known));
  }
  return { result, peakRss: sampler?.stop() };
}
