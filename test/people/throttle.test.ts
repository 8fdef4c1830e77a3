import { EventBus } from '../../src/events.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addressBucket,
  checkThrottle,
  clearFailures,
  DEFAULT_SIGN_IN_LIMITS,
  recordFailure,
  retryAtMs,
  throttleCounters,
  withFailure,
} from '../../src/people/throttle.ts';
import { openEmbeddedState } from '../../src/state/embedded/embedded-state.ts';
import type { RuntimeState } from '../../src/state/runtime-state.ts';

const NOW = 1_900_000_000_000;
const MIN = 60_000;
const limit = { failures: 3, windowSeconds: 600 };

describe('retryAtMs', () => {
  it.each([
    ['no failures', [], undefined],
    ['below the limit', [NOW - MIN, NOW], undefined],
    [
      'at the limit: when the oldest counted leaves the window',
      [NOW - 5 * MIN, NOW - MIN, NOW],
      NOW + 5 * MIN,
    ],
    ['failures that left the window do not count', [NOW - 11 * MIN, NOW - MIN, NOW], undefined],
    ['failures from the future (another clock) do not count', [NOW - MIN, NOW, NOW + MIN], undefined],
    ['NaN never counts', [Number.NaN, NOW, NOW], undefined],
  ] as const)('%s', (_name, failures, expected) => {
    expect(retryAtMs(failures, NOW, limit)).toBe(expected);
  });

  it('a limit of zero failures never throttles', () => {
    expect(retryAtMs([NOW], NOW, { failures: 0, windowSeconds: 600 })).toBeUndefined();
  });
});

describe('withFailure', () => {
  it('keeps the recent failures, at most the limit, oldest first', () => {
    expect(withFailure([NOW - 20 * MIN, NOW - 3 * MIN, NOW - 2 * MIN, NOW - MIN], NOW, limit)).toEqual([
      NOW - 2 * MIN,
      NOW - MIN,
      NOW,
    ]);
  });
});

describe('throttleCounters', () => {
  it('counts the address always and the person (case-insensitively) when named', () => {
    expect(throttleCounters(DEFAULT_SIGN_IN_LIMITS, '10.0.0.1')).toEqual([
      { scope: 'address', key: 'address:10.0.0.1', limit: DEFAULT_SIGN_IN_LIMITS.perAddress },
    ]);
    expect(
      throttleCounters(DEFAULT_SIGN_IN_LIMITS, '10.0.0.1', { connection: 'p/t', name: 'Alice' })[1],
    ).toEqual({
      scope: 'person',
      key: 'person:p/t\0alice',
      limit: DEFAULT_SIGN_IN_LIMITS.perPerson,
    });
  });
});

describe('sign_in_failure records', () => {
  let state: RuntimeState;
  beforeEach(async () => {
    state = await openEmbeddedState({ path: ':memory:' });
  });
  afterEach(() => state.close());

  const limits = { perPerson: limit, perAddress: { failures: 5, windowSeconds: 600 } };

  it('throttles a person after the limit, until the window passes, and a success clears the person', async () => {
    const alice = throttleCounters(limits, '10.0.0.1', { connection: 'p/t', name: 'alice' });
    for (let i = 0; i < 3; i++) {
      expect(await checkThrottle(state, alice, NOW + i)).toBeUndefined();
      await recordFailure(state, alice, NOW + i);
    }
    expect(await checkThrottle(state, alice, NOW + 3)).toEqual({
      scope: 'person',
      retryAtMs: NOW + 10 * MIN,
    });
    // Another person from another address is not affected.
    const bob = throttleCounters(limits, '10.0.0.2', { connection: 'p/t', name: 'bob' });
    expect(await checkThrottle(state, bob, NOW + 3)).toBeUndefined();
    expect(await checkThrottle(state, alice, NOW + 10 * MIN)).toBeUndefined();
    await clearFailures(state, alice, NOW + 4);
    expect(await checkThrottle(state, alice, NOW + 5)).toBeUndefined();
  });

  it('throttles an address trying many people', async () => {
    for (let i = 0; i < 5; i++) {
      await recordFailure(
        state,
        throttleCounters(limits, '10.0.0.9', { connection: 'p/t', name: `u${i}` }),
        NOW,
      );
    }
    const next = throttleCounters(limits, '10.0.0.9', { connection: 'p/t', name: 'someone-new' });
    expect(await checkThrottle(state, next, NOW)).toEqual({ scope: 'address', retryAtMs: NOW + 10 * MIN });
  });

  it('counts failures recorded at once by several callers (replicas share the record)', async () => {
    const alice = throttleCounters(limits, '10.0.0.1', { connection: 'p/t', name: 'alice' });
    await Promise.all([0, 1, 2].map((i) => recordFailure(state, alice, NOW + i)));
    expect(await checkThrottle(state, alice, NOW + 3)).toMatchObject({ scope: 'person' });
  });
});

describe('metrics', () => {
  it('count failed sign-ins by reason and throttled attempts by scope', async () => {
    const events = new EventBus();
    const metrics = createMetrics(events, { defaultMetrics: false });
    events.emit('signIn.failed', { reason: 'wrong_password', connection: 'p/t' });
    events.emit('signIn.failed', { reason: 'wrong_password', connection: 'p/t' });
    events.emit('signIn.throttled', { scope: 'address', connection: 'p/t', retryAfterSeconds: 60 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('latchkey_sign_in_failures_total{reason="wrong_password"} 2');
    expect(text).toContain('latchkey_sign_in_throttled_total{scope="address"} 1');
    metrics.close();
  });
});

describe('addressBucket', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::FFFF:10.0.0.1', '10.0.0.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8:1:2::', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['not an address', 'not an address'],
  ])('%s counts as %s', (address, bucket) => {
    expect(addressBucket(address)).toBe(bucket);
  });

  it('counts the addresses of one IPv6 /64 together', () => {
    const a = throttleCounters(DEFAULT_SIGN_IN_LIMITS, '2001:db8:1:2::a')[0]?.key;
    expect(throttleCounters(DEFAULT_SIGN_IN_LIMITS, '2001:db8:1:2:ffff::b')[0]?.key).toBe(a);
    expect(throttleCounters(DEFAULT_SIGN_IN_LIMITS, '2001:db8:1:3::a')[0]?.key).not.toBe(a);
  });
});
