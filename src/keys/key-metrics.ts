import { Gauge, type Registry } from 'prom-client';
import { keyStatuses, type KeyRecord, type KeyRing } from './lifecycle.ts';
import type { RotationSchedule } from './signing-key-rotation.ts';
import type { KeyAlgorithm } from './signing-keys.ts';

/**
 * Seconds each algorithm's active key has signed at `now`: since its activation time, 0 when that is still
 * ahead (a first key read with a clock behind the writer's). Pure.
 *
 * A key is due to hand over after the rotation interval; an age well past it means the leader is not
 * rotating (no leader, or it cannot write the key Secret).
 *
 * @example
 * signingKeyAges(ring.keys, Date.parse('2030-01-31T00:00:00Z'), 300_000); // Map { 'RS256' => 2592000, ... }
 */
export function signingKeyAges(
  keys: readonly KeyRecord[],
  now: number,
  clockSkewMs: number,
): ReadonlyMap<KeyAlgorithm, number> {
  const ages = new Map<KeyAlgorithm, number>();
  for (const s of keyStatuses(keys, now, clockSkewMs)) {
    if (s.state !== 'active') continue;
    ages.set(s.record.key.alg as KeyAlgorithm, Math.max(0, Math.floor((now - s.record.activatesAt) / 1000)));
  }
  return ages;
}

export interface KeyMetricsSource {
  /** The stored keys as last read or written; undefined until they are loaded. */
  ring(): KeyRing | undefined;
  now(): number;
  schedule: RotationSchedule;
}

/**
 * Registers the signing-key metrics (issue 16, item 4), computed at each scrape from the stored keys and the
 * clock: the age of each algorithm's active key and the rotation interval it is held to, so an alert can
 * compare the two without knowing the operator's flags. Labelled by algorithm only (three values): kids
 * change with every rotation.
 */
export function registerKeyMetrics(registry: Registry, source: KeyMetricsSource): void {
  new Gauge({
    name: 'latchkey_signing_key_age_seconds',
    help: 'Seconds the active signing key of each algorithm has signed (since its activation).',
    labelNames: ['alg'] as const,
    registers: [registry],
    collect() {
      const ring = source.ring();
      if (ring === undefined) return;
      for (const [alg, seconds] of signingKeyAges(ring.keys, source.now(), source.schedule.clockSkewMs)) {
        this.set({ alg }, seconds);
      }
    },
  });
  new Gauge({
    name: 'latchkey_signing_key_rotation_interval_seconds',
    help: 'How long a signing key signs before the next one takes over (--signing-key-rotation).',
    registers: [registry],
    collect() {
      this.set(Math.floor(source.schedule.intervalMs / 1000));
    },
  });
}
