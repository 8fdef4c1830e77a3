import { describe, expect, it } from 'vitest';
import type { SigningAlgorithm } from '../../src/api/resource-server.ts';
import type { KeyRecord, KeyRing } from '../../src/keys/lifecycle.ts';
import {
  decideRotation,
  revokedKids,
  type RotationInput,
  type RotationSchedule,
} from '../../src/keys/signing-key-rotation.ts';
import { fakeKey, rec } from './fake-keys.ts';

const T = Date.parse('2026-03-01T00:00:00Z');
const H = 3_600_000;
const DAY = 24 * H;
const schedule: RotationSchedule = { intervalMs: 30 * DAY, prePublishMs: DAY, clockSkewMs: 300_000 };
/** Tokens live 5 minutes: a retired key leaves 5 minutes plus the 5-minute skew after it retired. */
const GONE_AFTER = 600_000;

/** One key per algorithm, each active since `activatesAt`. */
function ringOf(activatesAt: number, extra: KeyRecord[] = [], handled: KeyRing['handled'] = {}): KeyRing {
  return {
    keys: [
      rec('RS256', 'rs-1', activatesAt),
      rec('ES256', 'es-1', activatesAt),
      rec('EdDSA', 'ed-1', activatesAt),
      ...extra,
    ],
    handled,
  };
}

const spares = [fakeKey('RS256', 'rs-spare'), fakeKey('ES256', 'es-spare'), fakeKey('EdDSA', 'ed-spare')];

function decide(over: Partial<RotationInput> & { ring: KeyRing }) {
  return decideRotation({ now: T, schedule, tokenLifetimeSeconds: 300, requests: {}, spares, ...over });
}

/** `kid@activatesAt` of every key per algorithm, times relative to T in hours. */
function layout(ring: KeyRing | undefined): Record<string, string[]> {
  const out: Partial<Record<SigningAlgorithm, string[]>> = {};
  for (const r of ring?.keys ?? []) (out[r.key.alg] ??= []).push(`${r.key.kid}@${(r.activatesAt - T) / H}h`);
  return out;
}

describe('decideRotation on a schedule (interval 30 days, pre-publish 24 hours, frozen clock)', () => {
  it('does nothing while no rotation is due, and wakes when the next key must be published', () => {
    const plan = decide({ ring: ringOf(T - 10 * DAY) });
    expect(plan.ring).toBeUndefined();
    expect(plan.used).toEqual([]);
    expect(plan.wakeAt).toBe(T - 10 * DAY + 30 * DAY - DAY);
  });

  it('publishes a next key for each algorithm once due, to sign when the active one has signed 30 days', () => {
    const activatedAt = T - 29 * DAY;
    const plan = decide({ ring: ringOf(activatedAt) });
    expect(layout(plan.ring)).toEqual({
      RS256: ['rs-1@-696h', 'rs-spare@24h'],
      ES256: ['es-1@-696h', 'es-spare@24h'],
      EdDSA: ['ed-1@-696h', 'ed-spare@24h'],
    });
    expect(plan.ring?.keys.find((r) => r.key.kid === 'rs-spare')?.createdAt).toBe(T);
    expect(plan.published).toEqual(['rs-spare', 'es-spare', 'ed-spare']);
    expect(plan.used.map((k) => k.kid)).toEqual(['rs-spare', 'es-spare', 'ed-spare']);
    expect(plan.promoted).toEqual([]);
    expect(plan.wakeAt).toBe(T + DAY);
  });

  it('still publishes a full pre-publish period ahead when the leader was away past the due time', () => {
    const plan = decide({ ring: ringOf(T - 40 * DAY) });
    expect(layout(plan.ring)['RS256']).toEqual(['rs-1@-960h', 'rs-spare@24h']);
  });

  it('waits during the pre-publish window, then until the retired key’s tokens have expired', () => {
    const next = [rec('RS256', 'rs-2', T + 2 * H, T - 22 * H)];
    const during = decide({ ring: ringOf(T - 29 * DAY, next), spares: [] });
    expect(during.ring).toBeUndefined();
    // ES256 and EdDSA are due too but have no spare: the caller generates them and decides again.
    expect(during.short).toEqual(['ES256', 'EdDSA']);

    const ring = ringOf(T - 30 * DAY, next);
    const window = decide({ ring: { ...ring, keys: ring.keys.filter((r) => r.key.alg === 'RS256') } });
    expect(window.ring).toBeUndefined();
    expect(window.wakeAt).toBe(T + 2 * H);

    const promoted = decide({
      now: T + 2 * H,
      ring: { ...ring, keys: ring.keys.filter((r) => r.key.alg === 'RS256') },
    });
    expect(promoted.ring).toBeUndefined();
    expect(promoted.wakeAt).toBe(T + 2 * H + GONE_AFTER);
  });

  it('removes a retired key once every token it signed has expired', () => {
    const keys = [rec('RS256', 'rs-1', T - 31 * DAY), rec('RS256', 'rs-2', T - GONE_AFTER, T - DAY)];
    expect(decide({ now: T - 1, ring: { keys, handled: {} } }).ring).toBeUndefined();
    const plan = decide({ ring: { keys, handled: {} } });
    expect(layout(plan.ring)).toEqual({ RS256: [`rs-2@${-GONE_AFTER / H}h`] });
    expect(plan.removed).toEqual(['rs-1']);
    expect(plan.wakeAt).toBe(T - GONE_AFTER + 29 * DAY);
  });

  it('rotates each algorithm on its own schedule', () => {
    const ring: KeyRing = {
      keys: [
        rec('RS256', 'rs-1', T - 29 * DAY - H),
        rec('ES256', 'es-1', T - 5 * DAY),
        rec('EdDSA', 'ed-1', T - 10 * DAY),
      ],
      handled: {},
    };
    const plan = decide({ ring });
    expect(plan.published).toEqual(['rs-spare']);
    expect(plan.wakeAt).toBe(T + DAY);
  });

  it('records a longer token lifetime on every key that may still verify tokens', () => {
    const plan = decide({ ring: ringOf(T - DAY), tokenLifetimeSeconds: 3600 });
    expect(plan.ring?.keys.map((r) => r.tokenLifetimeSeconds)).toEqual([3600, 3600, 3600]);
    expect(decide({ ring: ringOf(T - DAY), tokenLifetimeSeconds: 60 }).ring).toBeUndefined();
  });
});

describe('decideRotation on demand: latchkey.dev/rotate', () => {
  it('publishes a next key for every algorithm now, signing after the pre-publish period, once per value', () => {
    const plan = decide({ ring: ringOf(T - DAY), requests: { rotate: 'monday' } });
    expect(layout(plan.ring)['ES256']).toEqual(['es-1@-24h', 'es-spare@24h']);
    expect(plan.ring?.handled).toEqual({ rotate: 'monday' });
    expect(plan.published).toHaveLength(3);

    const again = decide({ ring: plan.ring as KeyRing, requests: { rotate: 'monday' } });
    expect(again.ring).toBeUndefined();
  });

  it('brings a next key already published forward instead of adding another, never before its pre-publish period', () => {
    const ring = ringOf(T - 29 * DAY, [
      rec('RS256', 'rs-2', T + 20 * H, T - 4 * H),
      rec('ES256', 'es-2', T + 20 * H, T - 30 * H),
    ]);
    const plan = decide({ ring, requests: { rotate: '2' } });
    expect(layout(plan.ring)).toEqual({
      RS256: ['rs-1@-696h', 'rs-2@20h'],
      ES256: ['es-1@-696h', 'es-2@0h'],
      EdDSA: ['ed-1@-696h', 'ed-spare@24h'],
    });
  });
});

describe('decideRotation on demand: latchkey.dev/revoke-kid', () => {
  it('drops an active key and promotes the next one at once, skipping the rest of its pre-publish period', () => {
    const ring = ringOf(T - 29 * DAY, [rec('RS256', 'rs-2', T + 20 * H, T - 4 * H)]);
    const plan = decide({ ring, requests: { revoke: 'rs-1' } });
    expect(layout(plan.ring)['RS256']).toEqual(['rs-2@0h']);
    expect(plan.revoked).toEqual(['rs-1']);
    expect(plan.promoted).toEqual(['rs-2']);
    expect(plan.ring?.handled).toEqual({ revoke: 'rs-1' });
  });

  it('signs with a new key at once when the revoked active key had no successor', () => {
    const plan = decide({ ring: ringOf(T - DAY), requests: { revoke: 'es-1' } });
    expect(layout(plan.ring)['ES256']).toEqual(['es-spare@0h']);
    expect(plan.promoted).toEqual(['es-spare']);
    expect(plan.used.map((k) => k.kid)).toEqual(['es-spare']);
  });

  it('never lets a retired key sign again when the key that replaced it is revoked', () => {
    const ring: KeyRing = {
      keys: [rec('RS256', 'rs-1', T - 2 * DAY), rec('RS256', 'rs-2', T - H, T - DAY)],
      handled: {},
    };
    const plan = decide({ ring, requests: { revoke: 'rs-2' } });
    expect(layout(plan.ring)['RS256']).toEqual(['rs-1@-48h', 'rs-spare@0h']);
    expect(plan.promoted).toEqual(['rs-spare']);
  });

  it('drops a next or retired key without touching the active one, and reports kids it does not hold', () => {
    const ring: KeyRing = {
      keys: [
        rec('RS256', 'rs-0', T - 2 * H, T - 3 * DAY),
        rec('RS256', 'rs-1', T - H, T - DAY),
        rec('RS256', 'rs-2', T + H, T - 23 * H),
      ],
      handled: { revoke: 'older' },
    };
    const plan = decide({ ring, requests: { revoke: 'rs-0, rs-2 nope' } });
    expect(layout(plan.ring)['RS256']).toEqual(['rs-1@-1h']);
    expect(plan.revoked).toEqual(['rs-0', 'rs-2']);
    expect(plan.unknown).toEqual(['nope']);
    expect(plan.promoted).toEqual([]);
    expect(plan.ring?.handled).toEqual({ revoke: 'rs-0, rs-2 nope' });
  });

  it('revokes an Ed25519 key by the kid its alg Ed25519 tokens name', () => {
    const plan = decide({ ring: ringOf(T - DAY), requests: { revoke: 'ed-1.ed25519' } });
    expect(layout(plan.ring)['EdDSA']).toEqual(['ed-spare@0h']);
    expect(plan.revoked).toEqual(['ed-1']);
    expect(plan.unknown).toEqual([]);
  });

  it('acts once per value', () => {
    const ring = ringOf(T - DAY, [], { revoke: 'rs-1' });
    expect(decide({ ring, requests: { revoke: 'rs-1' } }).ring).toBeUndefined();
  });

  it.each([
    ['a, b', ['a', 'b']],
    [' a\nb ,, a ', ['a', 'b']],
    ['', []],
    // The kid an Ed25519 token names (src/keys/ed25519-alias.ts) revokes the key it is derived from.
    ['ed-1.ed25519 ed-1', ['ed-1']],
  ])('reads %j as kids %j', (value, kids) => {
    expect(revokedKids(value)).toEqual(kids);
  });
});
