import { storedKid } from './ed25519-alias.ts';
import { keyStatuses, recordsOf, type KeyRecord, type KeyRing } from './lifecycle.ts';
import { KEY_ALGORITHMS, type KeyAlgorithm, type SigningKey } from './signing-keys.ts';

/** When keys rotate. Parsed once from the operator's options (see src/operator/config.ts). */
export interface RotationSchedule {
  /** How long a key signs before the next one takes over. */
  intervalMs: number;
  /** How long a new key is in the JWKS before it signs; longer than any JWKS cache it must outlast. */
  prePublishMs: number;
  /** How long past `exp` a resource server may still accept a token (its leeway plus clock drift). */
  clockSkewMs: number;
}

const HOUR_MS = 3_600_000;

/**
 * A key signs for 30 days, as Google's and Auth0's do. It is published 24 hours before it signs: far longer
 * than any JWKS cache that refetches on an unknown `kid` needs (jose, jwks-rsa, Spring: 5-10 minutes), and
 * long enough for those that do not (Istio refreshes every 20 minutes, Microsoft.IdentityModel every 12
 * hours) and for a JWKS copied into configuration once a day. Nothing waits on it: a compromised key is
 * revoked, not rotated. Retired keys stay 5 minutes past their tokens' expiry, Microsoft.IdentityModel's
 * default leeway and the largest common one.
 */
export const DEFAULT_ROTATION: RotationSchedule = {
  intervalMs: 30 * 24 * HOUR_MS,
  prePublishMs: 24 * HOUR_MS,
  clockSkewMs: 5 * 60_000,
};

export interface RotationInput {
  now: number;
  ring: KeyRing;
  schedule: RotationSchedule;
  /** The longest access-token lifetime any API has now. */
  tokenLifetimeSeconds: number;
  /** The values of the on-demand annotations on the key store, if set. */
  requests: { rotate?: string; revoke?: string };
  /** New keys generated ahead and held in memory, used in order; the plan says which it took. */
  spares: readonly SigningKey[];
}

export interface RotationPlan {
  /** The ring to write; undefined when nothing changes. */
  ring?: KeyRing;
  /** Spares the ring uses: record them as issued before writing, and never hand them out again. */
  used: SigningKey[];
  /** Algorithms that needed a new key and had no spare: generate one each and decide again. */
  short: KeyAlgorithm[];
  /** New keys published ahead of signing, by kid. */
  published: string[];
  /** Keys that sign from now on without having been published for the pre-publish period (after a revocation). */
  promoted: string[];
  revoked: string[];
  /** Kids the revoke annotation named that the ring does not hold. */
  unknown: string[];
  /** Keys removed because every token they signed has expired. */
  removed: string[];
  /** When to decide again (the earliest creation or removal due), if ever. */
  wakeAt?: number;
}

/**
 * The kids of the stored keys a `latchkey.dev/revoke-kid` value names, comma or whitespace separated. The
 * kid of an `alg: Ed25519` token names the key it was signed with (ed25519-alias.ts).
 */
export function revokedKids(value: string): string[] {
  return [
    ...new Set(
      value
        .split(/[\s,]+/)
        .filter((k) => k !== '')
        .map(storedKid),
    ),
  ];
}

/**
 * What the leader does to the stored keys at `now`. Pure. In order:
 * 1. a new `revoke` value removes the keys it names; an algorithm whose active key went signs at once with
 *    its next key, else a new one. That skips publish-before-sign on purpose: a revoked key must stop
 *    signing now, and resource servers with the old JWKS cached refetch on the unknown `kid`.
 * 2. a new `rotate` value starts a rotation of every algorithm: a new next key, published now, signing
 *    after the pre-publish period (a next key already published takes over as soon as it has been
 *    published that long, instead of a second one).
 * 3. the schedule: an algorithm without a next key gets one the pre-publish period before its active key
 *    has signed for the interval.
 * 4. keys whose tokens have all expired are removed.
 * 5. a key that can still have signed tokens records a longer token lifetime, so it stays published long
 *    enough for them.
 */
export function decideRotation(input: RotationInput): RotationPlan {
  const { now, schedule } = input;
  const plan: RotationPlan = {
    used: [],
    short: [],
    published: [],
    promoted: [],
    revoked: [],
    unknown: [],
    removed: [],
  };
  const spares = [...input.spares];
  const take = (alg: KeyAlgorithm): SigningKey | undefined => {
    const i = spares.findIndex((k) => k.alg === alg);
    if (i === -1) {
      if (!plan.short.includes(alg)) plan.short.push(alg);
      return undefined;
    }
    const [key] = spares.splice(i, 1) as [SigningKey];
    plan.used.push(key);
    return key;
  };
  const fresh = (key: SigningKey, activatesAt: number): KeyRecord => ({
    key,
    createdAt: now,
    activatesAt,
    tokenLifetimeSeconds: input.tokenLifetimeSeconds,
  });
  let keys: KeyRecord[] = [...input.ring.keys];
  const handled = { ...input.ring.handled };
  let changed = false;
  const activeOf = (alg: KeyAlgorithm) =>
    keyStatuses(keys, now, schedule.clockSkewMs).find((s) => s.state === 'active' && s.record.key.alg === alg)
      ?.record;
  const nextOf = (alg: KeyAlgorithm) => recordsOf(keys, alg).find((r) => r.activatesAt > now);

  const revoke = input.requests.revoke;
  if (revoke !== undefined && revoke !== handled.revoke) {
    const kids = revokedKids(revoke);
    const activeBefore = new Map(KEY_ALGORITHMS.map((alg) => [alg, activeOf(alg)?.key.kid]));
    plan.revoked = kids.filter((kid) => keys.some((r) => r.key.kid === kid));
    plan.unknown = kids.filter((kid) => !plan.revoked.includes(kid));
    keys = keys.filter((r) => !kids.includes(r.key.kid));
    for (const alg of KEY_ALGORITHMS) {
      const was = activeBefore.get(alg);
      if (was === undefined || !kids.includes(was)) continue;
      const next = nextOf(alg);
      if (next !== undefined) {
        keys = keys.map((r) => (r === next ? { ...r, activatesAt: now } : r));
        plan.promoted.push(next.key.kid);
        continue;
      }
      const key = take(alg);
      if (key === undefined) continue;
      keys.push(fresh(key, now));
      plan.promoted.push(key.kid);
    }
    handled.revoke = revoke;
    changed = true;
  }

  const rotate = input.requests.rotate;
  if (rotate !== undefined && rotate !== handled.rotate) {
    for (const alg of KEY_ALGORITHMS) {
      const next = nextOf(alg);
      if (next !== undefined) {
        const soonest = Math.max(next.createdAt + schedule.prePublishMs, now);
        if (soonest < next.activatesAt)
          keys = keys.map((r) => (r === next ? { ...r, activatesAt: soonest } : r));
        continue;
      }
      const key = take(alg);
      if (key === undefined) continue;
      keys.push(fresh(key, now + schedule.prePublishMs));
      plan.published.push(key.kid);
    }
    handled.rotate = rotate;
    changed = true;
  }

  for (const alg of KEY_ALGORITHMS) {
    const active = activeOf(alg);
    if (active === undefined || nextOf(alg) !== undefined) continue;
    const takeOverAt = active.activatesAt + schedule.intervalMs;
    if (now < takeOverAt - schedule.prePublishMs) continue;
    const key = take(alg);
    if (key === undefined) continue;
    keys.push(fresh(key, Math.max(takeOverAt, now + schedule.prePublishMs)));
    plan.published.push(key.kid);
    changed = true;
  }

  for (const s of keyStatuses(keys, now, schedule.clockSkewMs)) {
    if (s.state !== 'expired') continue;
    keys = keys.filter((r) => r !== s.record);
    plan.removed.push(s.record.key.kid);
    changed = true;
  }

  keys = keys.map((r) => {
    if (r.tokenLifetimeSeconds >= input.tokenLifetimeSeconds) return r;
    changed = true;
    return { ...r, tokenLifetimeSeconds: input.tokenLifetimeSeconds };
  });

  if (plan.short.length > 0) return { ...plan, ring: undefined };
  if (changed) plan.ring = { keys, handled };
  plan.wakeAt = wakeAt(keys, now, schedule);
  return plan;
}

/** The earliest future moment a decision is due: a next key to create, or a retired key to remove. */
function wakeAt(keys: readonly KeyRecord[], now: number, schedule: RotationSchedule): number | undefined {
  let at: number | undefined;
  const consider = (t: number | undefined) => {
    if (t !== undefined && t > now && (at === undefined || t < at)) at = t;
  };
  const statuses = keyStatuses(keys, now, schedule.clockSkewMs);
  for (const alg of KEY_ALGORITHMS) {
    const mine = statuses.filter((s) => s.record.key.alg === alg);
    const next = mine.find((s) => s.state === 'next');
    const active = mine.find((s) => s.state === 'active');
    // Once the next key signs, its own successor falls due from its activation; decide again then.
    if (next !== undefined) consider(next.record.activatesAt);
    else if (active !== undefined)
      consider(active.record.activatesAt + schedule.intervalMs - schedule.prePublishMs);
    for (const s of mine) if (s.state === 'retired') consider(s.removeAt);
  }
  return at;
}
