import { describe, expect, it } from 'vitest';
import {
  deviceCodeMatches,
  formatUserCode,
  newDeviceCode,
  newUserCode,
  normalizeUserCode,
  USER_CODE_ALPHABET,
  userCodeOfDeviceCode,
} from '../../src/people/device/codes.ts';
import {
  awaitsPerson,
  decidePoll,
  DEVICE_CODE_LIFETIME_MS,
  MAX_POLL_INTERVAL_SECONDS,
  POLL_SLACK_MS,
} from '../../src/people/device/poll.ts';
import { DEFAULT_USER_CODE_LIMITS, userCodeCounters } from '../../src/people/device/user-code-throttle.ts';
import { digestOf, sealCode, unsealCode } from '../../src/people/digest.ts';
import type { DeviceAuthorizationRecord } from '../../src/people/records.ts';

/** The device flow's decisions (RFC 8628, issue 13): codes, polls, the wrong-code counters. */

describe('user codes', () => {
  it('draws eight letters of the twenty consonants, each used', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const code = newUserCode();
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      for (const c of code) seen.add(c);
    }
    expect([...seen].sort().join('')).toBe(USER_CODE_ALPHABET);
  });

  it.each([
    ['BCDFGHJK', 'BCDF-GHJK'],
    ['ZZZZZZZZ', 'ZZZZ-ZZZZ'],
  ])('shows %s as %s', (code, shown) => {
    expect(formatUserCode(code)).toBe(shown);
  });

  it.each([
    ['BCDF-GHJK', 'BCDFGHJK'],
    ['bcdf-ghjk', 'BCDFGHJK'],
    [' bcdfghjk ', 'BCDFGHJK'],
    ['BCDF GHJK', 'BCDFGHJK'],
    ['B-C-D-F-G-H-J-K', 'BCDFGHJK'],
    ['BCDF-GHJ', undefined],
    ['BCDF-GHJKL', undefined],
    ['BCDF-GHJA', undefined],
    ['BCDF-GHJ1', undefined],
    ['BCDF_GHJK', undefined],
    ['', undefined],
    [`${'-'.repeat(60)}BCDFGHJK`, undefined],
  ])('reads %j as %s', (typed, code) => {
    expect(normalizeUserCode(typed)).toBe(code);
  });
});

describe('device codes', () => {
  it('carry their user code and 256 random bits, and match only their own digest', () => {
    const a = newDeviceCode('BCDFGHJK');
    const b = newDeviceCode('BCDFGHJK');
    expect(a).toMatch(/^BCDFGHJK\.[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(userCodeOfDeviceCode(a)).toBe('BCDFGHJK');
    expect(deviceCodeMatches(a, digestOf(a))).toBe(true);
    expect(deviceCodeMatches(b, digestOf(a))).toBe(false);
    expect(deviceCodeMatches(a, 'short')).toBe(false);
  });

  it.each([
    '',
    'BCDFGHJK',
    'BCDFGHJK.',
    'bcdfghjk.' + 'a'.repeat(43),
    'BCDFGHJA.' + 'a'.repeat(43),
    'BCDFGHJK.' + 'a'.repeat(44),
  ])('finds no user code in %j', (presented) => {
    expect(userCodeOfDeviceCode(presented)).toBeUndefined();
  });

  it('seals a user code so only the request id that sealed it opens it', () => {
    const sealed = sealCode('request-1', 'user_code', 'BCDFGHJK');
    expect(sealed).not.toContain('BCDFGHJK');
    expect(unsealCode('request-1', 'user_code', sealed)).toBe('BCDFGHJK');
    expect(unsealCode('request-2', 'user_code', sealed)).not.toBe('BCDFGHJK');
  });
});

const T0 = 1_000_000;

function record(overrides: Partial<DeviceAuthorizationRecord> = {}): DeviceAuthorizationRecord {
  return {
    deviceCodeDigest: 'd',
    clientId: 'cli',
    scopes: ['openid'],
    resources: [],
    createdAtMs: T0,
    intervalSeconds: 5,
    ...overrides,
  };
}

const approved = { approved: true as const, atMs: T0 + 1, userId: 'u', sid: 's', authTime: 1, amr: ['pwd'] };

describe('decidePoll (RFC 8628 §3.5)', () => {
  it.each<[string, Partial<DeviceAuthorizationRecord>, number, ReturnType<typeof decidePoll>]>([
    ['the first poll', {}, T0 + 10, { answer: 'authorization_pending' }],
    [
      'a poll one interval after the last',
      { lastPollAtMs: T0 },
      T0 + 5000,
      { answer: 'authorization_pending' },
    ],
    [
      'a poll within the slack',
      { lastPollAtMs: T0 },
      T0 + 5000 - POLL_SLACK_MS,
      { answer: 'authorization_pending' },
    ],
    [
      'a poll just before the slack',
      { lastPollAtMs: T0 },
      T0 + 5000 - POLL_SLACK_MS - 1,
      { answer: 'slow_down', intervalSeconds: 10 },
    ],
    ['a poll at once', { lastPollAtMs: T0 }, T0, { answer: 'slow_down', intervalSeconds: 10 }],
    [
      'a poll sooner than a grown interval',
      { lastPollAtMs: T0, intervalSeconds: 10 },
      T0 + 6000,
      { answer: 'slow_down', intervalSeconds: 15 },
    ],
    [
      'a poll at the largest interval',
      { lastPollAtMs: T0, intervalSeconds: MAX_POLL_INTERVAL_SECONDS },
      T0 + 1000,
      { answer: 'slow_down', intervalSeconds: MAX_POLL_INTERVAL_SECONDS },
    ],
    [
      'an approved one, even polled at once',
      { lastPollAtMs: T0, decision: approved },
      T0,
      { answer: 'issue' },
    ],
    [
      'a denied one',
      { lastPollAtMs: T0, decision: { approved: false, atMs: T0 } },
      T0,
      { answer: 'access_denied' },
    ],
    ['one at its lifetime', {}, T0 + DEVICE_CODE_LIFETIME_MS, { answer: 'expired_token' }],
    [
      'an approved one past its lifetime',
      { decision: approved },
      T0 + DEVICE_CODE_LIFETIME_MS,
      { answer: 'expired_token' },
    ],
    ['a spent one', { decision: approved, issuedAtMs: T0 + 2 }, T0 + 3, { answer: 'already_used' }],
  ])('%s', (_, overrides, nowMs, expected) => {
    expect(decidePoll(record(overrides), nowMs)).toEqual(expected);
  });
});

describe('awaitsPerson', () => {
  it.each<[string, Partial<DeviceAuthorizationRecord>, number, boolean]>([
    ['a new one', {}, T0, true],
    ['one polled many times', { lastPollAtMs: T0 + 60_000, intervalSeconds: 30 }, T0 + 61_000, true],
    ['one a moment before its lifetime', {}, T0 + DEVICE_CODE_LIFETIME_MS - 1, true],
    ['one at its lifetime', {}, T0 + DEVICE_CODE_LIFETIME_MS, false],
    ['an answered one', { decision: { approved: false, atMs: T0 } }, T0 + 1, false],
    ['a spent one', { decision: approved, issuedAtMs: T0 + 2 }, T0 + 3, false],
  ])('%s: %s', (_, overrides, nowMs, expected) => {
    expect(awaitsPerson(record(overrides), nowMs)).toBe(expected);
  });
});

describe('userCodeCounters', () => {
  it('counts per address (an IPv6 /64 as one) and per browser, in keys of their own', () => {
    const counters = userCodeCounters(DEFAULT_USER_CODE_LIMITS, '2001:db8:1:2:3:4:5:6', 'browser-digest');
    expect(counters).toEqual([
      {
        scope: 'address',
        key: 'user_code:address:2001:db8:1:2::/64',
        limit: DEFAULT_USER_CODE_LIMITS.perAddress,
      },
      {
        scope: 'browser',
        key: 'user_code:browser:browser-digest',
        limit: DEFAULT_USER_CODE_LIMITS.perBrowser,
      },
    ]);
  });
});
