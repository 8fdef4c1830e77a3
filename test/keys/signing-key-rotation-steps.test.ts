/**
 * The steps of decideRotation one by one: each leaves the draft as it is unless its guard holds. How they
 * combine is in signing-key-rotation.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { KeyRecord } from '../../src/keys/lifecycle.ts';
import {
  extendTokenLifetimes,
  removeExpired,
  revokeRequested,
  ROTATION_STEPS,
  rotateOnSchedule,
  rotateRequested,
  type RotationDraft,
  type RotationInput,
  type RotationStep,
} from '../../src/keys/signing-key-rotation.ts';
import { fakeKey, rec } from './fake-keys.ts';

const T = Date.parse('2026-03-01T00:00:00Z');
const H = 3_600_000;
const DAY = 24 * H;

function draftOf(keys: KeyRecord[], handled: RotationDraft['handled'] = {}): RotationDraft {
  return {
    keys,
    handled,
    changed: false,
    plan: { used: [], short: [], published: [], promoted: [], revoked: [], unknown: [], removed: [] },
    spares: [fakeKey('RS256', 'rs-spare')],
  };
}

function inputOf(over: Partial<RotationInput> = {}): RotationInput {
  return {
    now: T,
    ring: { keys: [], handled: {} },
    schedule: { intervalMs: 30 * DAY, prePublishMs: DAY, clockSkewMs: 300_000 },
    tokenLifetimeSeconds: 300,
    requests: {},
    spares: [],
    ...over,
  };
}

describe('ROTATION_STEPS', () => {
  it('revokes, then rotates on demand, then on schedule, then removes expired keys, then extends lifetimes', () => {
    expect(ROTATION_STEPS).toEqual([
      revokeRequested,
      rotateRequested,
      rotateOnSchedule,
      removeExpired,
      extendTokenLifetimes,
    ]);
  });
});

describe('each step leaves the draft as it is when its guard does not hold', () => {
  const fresh = draftOf([rec('RS256', 'rs-1', T - DAY)], { rotate: 'monday', revoke: 'rs-0' });
  it.each<[string, RotationStep, Partial<RotationInput>]>([
    ['revoke without a request', revokeRequested, {}],
    ['revoke of a value already handled', revokeRequested, { requests: { revoke: 'rs-0' } }],
    ['rotate without a request', rotateRequested, {}],
    ['rotate of a value already handled', rotateRequested, { requests: { rotate: 'monday' } }],
    ['the schedule before the pre-publish period', rotateOnSchedule, {}],
    ['removal with no key expired', removeExpired, {}],
    ['lifetimes that are long enough', extendTokenLifetimes, { tokenLifetimeSeconds: 300 }],
  ])('%s', (_name, step, over) => {
    expect(step(fresh, inputOf(over))).toBe(fresh);
  });
});

describe('rotateOnSchedule', () => {
  it.each([
    ['1 ms before the pre-publish period', T - 29 * DAY + 1, []],
    ['at the start of the pre-publish period', T - 29 * DAY, [`rs-spare@${DAY}`]],
    ['past the interval (a full pre-publish period ahead)', T - 40 * DAY, [`rs-spare@${DAY}`]],
  ])('publishes a next key %s', (_name, activatedAt, published) => {
    const after = rotateOnSchedule(draftOf([rec('RS256', 'rs-1', activatedAt)]), inputOf());
    const added = after.keys.filter((r) => r.key.kid !== 'rs-1');
    expect(added.map((r) => `${r.key.kid}@${r.activatesAt - T}`)).toEqual(published);
    expect(after.changed).toBe(published.length > 0);
  });

  it('lists an algorithm that is due without a spare as short, once, and changes nothing', () => {
    const keys = [rec('RS256', 'rs-1', T - 29 * DAY), rec('ES256', 'es-1', T - 29 * DAY)];
    const after = rotateOnSchedule({ ...draftOf(keys), spares: [] }, inputOf());
    expect(after.plan.short).toEqual(['RS256', 'ES256']);
    expect(after.keys).toEqual(keys);
    expect(after.changed).toBe(false);
    expect(rotateRequested(after, inputOf({ requests: { rotate: 'now' } })).plan.short).toEqual([
      'RS256',
      'ES256',
      'EdDSA',
    ]);
  });
});

describe('rotateRequested', () => {
  it.each([
    ['published a full period ago: signs now', T - 2 * DAY, T + DAY, T],
    ['published an hour ago: signs once published a full period', T - H, T + 5 * DAY, T - H + DAY],
    ['already signing sooner than that: unchanged', T - H, T + 2 * H, T + 2 * H],
  ])('brings a next key forward when it was %s', (_name, createdAt, activatesAt, expected) => {
    const next = rec('RS256', 'rs-2', activatesAt, createdAt);
    const after = rotateRequested(
      draftOf([rec('RS256', 'rs-1', T - DAY), next]),
      inputOf({ requests: { rotate: 'x' } }),
    );
    expect(after.keys.find((r) => r.key.kid === 'rs-2')?.activatesAt).toBe(expected);
    expect(after.plan.published).toEqual([]);
    expect(after.handled.rotate).toBe('x');
    expect(after.changed).toBe(true);
  });
});

describe('revokeRequested', () => {
  it('promotes a spare at once for a revoked active key and reports kids it does not hold', () => {
    const after = revokeRequested(
      draftOf([rec('RS256', 'rs-1', T - DAY)]),
      inputOf({ requests: { revoke: 'rs-1 nope' } }),
    );
    expect(after.keys.map((r) => `${r.key.kid}@${r.activatesAt - T}`)).toEqual(['rs-spare@0']);
    expect(after.plan).toMatchObject({ revoked: ['rs-1'], unknown: ['nope'], promoted: ['rs-spare'] });
    expect(after.handled.revoke).toBe('rs-1 nope');
  });
});

describe('extendTokenLifetimes', () => {
  it.each([
    [60, [300, 600], false],
    [300, [300, 600], false],
    [400, [400, 600], true],
    [900, [900, 900], true],
  ])('with a longest lifetime of %i s, keys record %o', (lifetime, recorded, changed) => {
    const keys = [
      rec('RS256', 'rs-1', T - DAY),
      { ...rec('RS256', 'rs-2', T + H), tokenLifetimeSeconds: 600 },
    ];
    const after = extendTokenLifetimes(draftOf(keys), inputOf({ tokenLifetimeSeconds: lifetime }));
    expect(after.keys.map((r) => r.tokenLifetimeSeconds)).toEqual(recorded);
    expect(after.changed).toBe(changed);
  });
});

describe('removeExpired', () => {
  it('removes a retired key once its tokens and the clock skew have passed', () => {
    const keys = [rec('RS256', 'rs-1', T - 31 * DAY), rec('RS256', 'rs-2', T - 600_000, T - DAY)];
    expect(removeExpired(draftOf(keys), inputOf({ now: T - 1 })).changed).toBe(false);
    const after = removeExpired(draftOf(keys), inputOf());
    expect(after.keys.map((r) => r.key.kid)).toEqual(['rs-2']);
    expect(after.plan.removed).toEqual(['rs-1']);
    expect(after.changed).toBe(true);
  });
});
