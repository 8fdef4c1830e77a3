import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerKeyMetrics, signingKeyAges } from '../../src/keys/key-metrics.ts';
import type { KeyRecord, KeyRing } from '../../src/keys/lifecycle.ts';
import { DEFAULT_ROTATION } from '../../src/keys/signing-key-rotation.ts';
import { rec } from './fake-keys.ts';

const T = Date.parse('2026-03-01T00:00:00Z');
const H = 3_600_000;
const DAY = 24 * H;
const SKEW = 300_000;

describe('signingKeyAges', () => {
  const old = rec('RS256', 'old', T - 30 * DAY);
  const next = rec('RS256', 'new', T + DAY, T);
  const es = rec('ES256', 'es', T - 2 * H);
  const ed = rec('EdDSA', 'ed', T + H);

  it.each<[string, KeyRecord[], number, Record<string, number>]>([
    ['no keys: no ages', [], T, {}],
    ['the active key, since it started signing', [old], T, { RS256: 30 * 86_400 }],
    [
      'a pre-published next key does not count until it signs',
      [old, next],
      T + H,
      { RS256: 30 * 86_400 + 3600 },
    ],
    ['the next key, from the moment it activates', [old, next], T + DAY, { RS256: 0 }],
    ['and its age grows from there', [old, next], T + 2 * DAY + 1500, { RS256: 86_401 }],
    ['each algorithm on its own schedule', [old, es], T, { RS256: 30 * 86_400, ES256: 7200 }],
    ['a first key read with a clock behind its writer: 0, never negative', [ed], T, { EdDSA: 0 }],
  ])('%s', (_name, keys, now, ages) => {
    expect(Object.fromEntries(signingKeyAges(keys, now, SKEW))).toEqual(ages);
  });
});

describe('registerKeyMetrics', () => {
  it('reports the age per algorithm and the rotation interval, and nothing before keys are loaded', async () => {
    const registry = new Registry();
    const stored: { ring?: KeyRing } = {};
    registerKeyMetrics(registry, { ring: () => stored.ring, now: () => T, schedule: DEFAULT_ROTATION });
    expect(await registry.getSingleMetricAsString('latchkey_signing_key_age_seconds')).not.toMatch(/\{alg=/);
    stored.ring = { keys: [rec('RS256', 'a', T - DAY), rec('ES256', 'b', T - H)], handled: {} };
    const text = await registry.metrics();
    expect(text).toContain('latchkey_signing_key_age_seconds{alg="RS256"} 86400');
    expect(text).toContain('latchkey_signing_key_age_seconds{alg="ES256"} 3600');
    expect(text).toContain('latchkey_signing_key_rotation_interval_seconds 2592000');
  });
});
