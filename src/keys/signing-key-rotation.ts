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
  const start: RotationDraft = {
    keys: [...input.ring.keys],
    handled: { ...input.ring.handled },
    changed: false,
    plan: { used: [], short: [], published: [], promoted: [], revoked: [], unknown: [], removed: [] },
    spares: [...input.spares],
  };
  const draft = ROTATION_STEPS.reduce((d, step) => step(d, input), start);
  if (draft.plan.short.length > 0) return { ...draft.plan, ring: undefined };
  return {
    ...draft.plan,
    ...(draft.changed ? { ring: { keys: draft.keys, handled: draft.handled } } : {}),
    wakeAt: wakeAt(draft.keys, input.now, input.schedule),
  };
}

/** One decision in progress: the keys and plan so far, and the spares not taken yet. */
export interface RotationDraft {
  readonly keys: readonly KeyRecord[];
  readonly handled: KeyRing['handled'];
  /** Whether the ring differs from the stored one and must be written. */
  readonly changed: boolean;
  readonly plan: Readonly<Omit<RotationPlan, 'ring' | 'wakeAt'>>;
  readonly spares: readonly SigningKey[];
}

/** A step of decideRotation: a pure function from the draft so far to the next. */
export type RotationStep = (draft: RotationDraft, input: RotationInput) => RotationDraft;

/** The steps of decideRotation, in the order its documentation gives. */
export const ROTATION_STEPS: readonly RotationStep[] = [
  revokeRequested,
  rotateRequested,
  rotateOnSchedule,
  removeExpired,
  extendTokenLifetimes,
];

/** 1. A new `revoke` value removes the keys it names; an algorithm whose active key went signs at once. */
export function revokeRequested(draft: RotationDraft, input: RotationInput): RotationDraft {
  const revoke = input.requests.revoke;
  if (revoke === undefined || revoke === draft.handled.revoke) return draft;
  const kids = revokedKids(revoke);
  const activeBefore = new Map(KEY_ALGORITHMS.map((alg) => [alg, activeOf(draft.keys, alg, input)?.key.kid]));
  const revoked = kids.filter((kid) => draft.keys.some((r) => r.key.kid === kid));
  let d: RotationDraft = {
    ...draft,
    keys: draft.keys.filter((r) => !kids.includes(r.key.kid)),
    plan: { ...draft.plan, revoked, unknown: kids.filter((kid) => !revoked.includes(kid)) },
  };
  for (const alg of KEY_ALGORITHMS) {
    const was = activeBefore.get(alg);
    if (was !== undefined && kids.includes(was)) d = replaceRevokedActive(d, alg, input);
  }
  return { ...d, handled: { ...d.handled, revoke }, changed: true };
}

/** The key of `alg` that signs at once after its active key was revoked: its next key, else a spare. */
function replaceRevokedActive(draft: RotationDraft, alg: KeyAlgorithm, input: RotationInput): RotationDraft {
  const next = nextOf(draft.keys, alg, input.now);
  if (next === undefined) return addSpare(draft, alg, input.now, 'promoted', input);
  return {
    ...draft,
    keys: draft.keys.map((r) => (r === next ? { ...r, activatesAt: input.now } : r)),
    plan: { ...draft.plan, promoted: [...draft.plan.promoted, next.key.kid] },
  };
}

/** 2. A new `rotate` value gives every algorithm a next key, signing after the pre-publish period. */
export function rotateRequested(draft: RotationDraft, input: RotationInput): RotationDraft {
  const rotate = input.requests.rotate;
  if (rotate === undefined || rotate === draft.handled.rotate) return draft;
  let d = draft;
  for (const alg of KEY_ALGORITHMS) {
    const next = nextOf(d.keys, alg, input.now);
    d =
      next === undefined
        ? addSpare(d, alg, input.now + input.schedule.prePublishMs, 'published', input)
        : bringForward(d, next, input);
  }
  return { ...d, handled: { ...d.handled, rotate }, changed: true };
}

/** A next key already published takes over as soon as it has been published the pre-publish period. */
function bringForward(draft: RotationDraft, next: KeyRecord, input: RotationInput): RotationDraft {
  const soonest = Math.max(next.createdAt + input.schedule.prePublishMs, input.now);
  if (soonest >= next.activatesAt) return draft;
  return { ...draft, keys: draft.keys.map((r) => (r === next ? { ...r, activatesAt: soonest } : r)) };
}

/** 3. An algorithm without a next key gets one the pre-publish period before its active key's interval ends. */
export function rotateOnSchedule(draft: RotationDraft, input: RotationInput): RotationDraft {
  const { now, schedule } = input;
  let d = draft;
  for (const alg of KEY_ALGORITHMS) {
    const active = activeOf(d.keys, alg, input);
    if (active === undefined || nextOf(d.keys, alg, now) !== undefined) continue;
    const takeOverAt = active.activatesAt + schedule.intervalMs;
    if (now < takeOverAt - schedule.prePublishMs) continue;
    d = addSpare(d, alg, Math.max(takeOverAt, now + schedule.prePublishMs), 'published', input);
  }
  return d;
}

/** 4. Keys whose tokens have all expired leave the ring. */
export function removeExpired(draft: RotationDraft, input: RotationInput): RotationDraft {
  const expired = keyStatuses(draft.keys, input.now, input.schedule.clockSkewMs)
    .filter((s) => s.state === 'expired')
    .map((s) => s.record);
  if (expired.length === 0) return draft;
  return {
    ...draft,
    keys: draft.keys.filter((r) => !expired.includes(r)),
    plan: { ...draft.plan, removed: [...draft.plan.removed, ...expired.map((r) => r.key.kid)] },
    changed: true,
  };
}

/** 5. Every key that can still have signed tokens records the longest token lifetime, to stay published for them. */
export function extendTokenLifetimes(draft: RotationDraft, input: RotationInput): RotationDraft {
  const lifetime = input.tokenLifetimeSeconds;
  if (draft.keys.every((r) => r.tokenLifetimeSeconds >= lifetime)) return draft;
  return {
    ...draft,
    keys: draft.keys.map((r) =>
      r.tokenLifetimeSeconds >= lifetime ? r : { ...r, tokenLifetimeSeconds: lifetime },
    ),
    changed: true,
  };
}

/**
 * Takes the first spare of `alg` into the ring as a new key signing from `activatesAt`, listed under `list`.
 * Without such a spare the ring stays as it is and `alg` is listed as short.
 */
function addSpare(
  draft: RotationDraft,
  alg: KeyAlgorithm,
  activatesAt: number,
  list: 'published' | 'promoted',
  input: RotationInput,
): RotationDraft {
  const i = draft.spares.findIndex((k) => k.alg === alg);
  if (i === -1) {
    if (draft.plan.short.includes(alg)) return draft;
    return { ...draft, plan: { ...draft.plan, short: [...draft.plan.short, alg] } };
  }
  const key = draft.spares[i] as SigningKey;
  const record: KeyRecord = {
    key,
    createdAt: input.now,
    activatesAt,
    tokenLifetimeSeconds: input.tokenLifetimeSeconds,
  };
  return {
    ...draft,
    keys: [...draft.keys, record],
    spares: draft.spares.filter((_, j) => j !== i),
    plan: { ...draft.plan, used: [...draft.plan.used, key], [list]: [...draft.plan[list], key.kid] },
    changed: true,
  };
}

function activeOf(
  keys: readonly KeyRecord[],
  alg: KeyAlgorithm,
  input: RotationInput,
): KeyRecord | undefined {
  return keyStatuses(keys, input.now, input.schedule.clockSkewMs).find(
    (s) => s.state === 'active' && s.record.key.alg === alg,
  )?.record;
}

function nextOf(keys: readonly KeyRecord[], alg: KeyAlgorithm, now: number): KeyRecord | undefined {
  return recordsOf(keys, alg).find((r) => r.activatesAt > now);
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
