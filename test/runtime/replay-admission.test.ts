import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REPLAY_LIMITS,
  hardCeiling,
  replayLimitsOption,
  replayRefusal,
  type ReplayBound,
  type ReplayLoad,
} from '../../src/runtime/replay-admission.ts';

const limits = { capacity: 1000, perClientCeiling: 400 };

/** One namespace with one client holding everything, unless a row says otherwise. */
function load(partial: Partial<ReplayLoad>): ReplayLoad {
  return { total: 0, namespaces: 1, namespace: 0, clientsInNamespace: 1, client: 0, ...partial };
}

const rows: [string, Partial<ReplayLoad>, ReplayBound | undefined][] = [
  ['an empty cache accepts', {}, undefined],
  [
    'below capacity every client is accepted, however unequal the shares',
    { total: 999, namespaces: 2, namespace: 990, clientsInNamespace: 3, client: 399 },
    undefined,
  ],
  [
    'below capacity, a client at the per-client ceiling is refused',
    { total: 400, namespace: 400, client: 400 },
    'client-ceiling',
  ],
  [
    'at capacity, one namespace: a client at its share (capacity / clients) is refused',
    { total: 1000, namespace: 1000, clientsInNamespace: 4, client: 250 },
    'client-share',
  ],
  [
    'at capacity, one namespace: a client below its share is accepted',
    { total: 1000, namespace: 1000, clientsInNamespace: 4, client: 249 },
    undefined,
  ],
  [
    'at capacity, one namespace: a client that holds nothing yet is accepted',
    { total: 1000, namespace: 1000, clientsInNamespace: 5, client: 0 },
    undefined,
  ],
  [
    'at capacity, a namespace below its share (capacity / namespaces) is accepted, even for a busy client',
    { total: 1000, namespaces: 2, namespace: 499, clientsInNamespace: 1, client: 399 },
    undefined,
  ],
  [
    "at capacity, a namespace over its share: its clients at their part of the namespace's share are refused",
    { total: 1000, namespaces: 2, namespace: 520, clientsInNamespace: 2, client: 250 },
    'client-share',
  ],
  [
    "at capacity, a namespace over its share: its light client is accepted (another client's flood is not its fault)",
    { total: 1000, namespaces: 2, namespace: 520, clientsInNamespace: 2, client: 10 },
    undefined,
  ],
  [
    'at capacity, a namespace at 1.1 times its share refuses every client of it, a new one included',
    { total: 1000, namespaces: 2, namespace: 550, clientsInNamespace: 1000, client: 0 },
    'namespace-share',
  ],
  [
    'at capacity, a lone namespace may pass the capacity by a tenth for its light clients, not more',
    { total: 1100, namespaces: 1, namespace: 1100, clientsInNamespace: 9, client: 0 },
    'namespace-share',
  ],
  [
    'many clients of one attacker namespace do not shrink the share of a light namespace',
    { total: 1000, namespaces: 2, namespace: 3, clientsInNamespace: 1, client: 3 },
    undefined,
  ],
  [
    'at the hard ceiling everything is refused, a light namespace included',
    { total: 1250, namespaces: 2, namespace: 1, client: 1 },
    'hard-ceiling',
  ],
  [
    'just below the hard ceiling a light namespace is still accepted',
    { total: 1249, namespaces: 2, namespace: 1, client: 1 },
    undefined,
  ],
];

describe('replayRefusal: who may add an entry (issue 9, item 1)', () => {
  it.each(rows)('%s', (_name, partial, expected) => {
    expect(replayRefusal(load(partial), limits)).toBe(expected);
  });

  it('puts the hard ceiling at 1.25 times the capacity', () => {
    expect(hardCeiling(limits)).toBe(1250);
    expect(hardCeiling(DEFAULT_REPLAY_LIMITS)).toBe(1_250_000);
  });

  it('defaults to one million entries and a quarter of a million per client', () => {
    expect(DEFAULT_REPLAY_LIMITS).toEqual({ capacity: 1_000_000, perClientCeiling: 250_000 });
  });

  it('keeps the total within the hard ceiling by the namespace shares alone, when no namespace held more before', () => {
    // Fill up to capacity evenly among K namespaces, then let each add while it is accepted.
    for (const K of [1, 2, 3, 7, 10, 999]) {
      const bounds = new Set<ReplayBound>();
      const held = Array.from({ length: K }, () => Math.floor(limits.capacity / K));
      let total = held.reduce((a, b) => a + b, 0);
      for (let round = 0; round < 2000; round++) {
        for (let n = 0; n < K; n++) {
          const refusal = replayRefusal(
            { total, namespaces: K, namespace: held[n]!, clientsInNamespace: 1000, client: 0 },
            { capacity: limits.capacity, perClientCeiling: limits.capacity },
          );
          if (refusal === undefined) {
            held[n]! += 1;
            total += 1;
          } else bounds.add(refusal);
        }
      }
      expect(total, `K=${K}`).toBeLessThanOrEqual(hardCeiling(limits));
      expect([...bounds], `K=${K}`).toEqual(['namespace-share']);
    }
  });
});

describe('--replay-capacity and --replay-per-client', () => {
  it('keeps the defaults when absent, and reads both', () => {
    expect(replayLimitsOption({})).toEqual(DEFAULT_REPLAY_LIMITS);
    expect(replayLimitsOption({ 'replay-capacity': '5000', 'replay-per-client': '5000' })).toEqual({
      capacity: 5000,
      perClientCeiling: 5000,
    });
    expect(replayLimitsOption({ 'replay-capacity': '1000' })).toEqual({
      capacity: 1000,
      perClientCeiling: 1000,
    });
  });

  it('refuses what is not an integer in range, and a per-client ceiling above the capacity, naming the option', () => {
    for (const bad of ['', '1e6', '-1', '0', '99', '1.5', '__proto__']) {
      expect(() => replayLimitsOption({ 'replay-capacity': bad }), bad).toThrow(/--replay-capacity/);
    }
    expect(() => replayLimitsOption({ 'replay-per-client': '0' })).toThrow(/--replay-per-client/);
    expect(() => replayLimitsOption({ 'replay-capacity': '1000', 'replay-per-client': '1001' })).toThrow(
      /--replay-per-client: must not be more than --replay-capacity \(1000\)/,
    );
  });
});
