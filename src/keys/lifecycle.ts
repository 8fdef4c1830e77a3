import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../api/resource-server.ts';
import { namesOf } from './ed25519-alias.ts';
import { JWKS_MAX_AGE_SECONDS, KEY_ALGORITHMS, type SigningKey, type SigningKeys } from './signing-keys.ts';

/**
 * A signing key as stored, with the times its state is derived from. Nothing else about its state is
 * stored, so every replica that reads the same record and has a clock agrees on it without further writes.
 */
export interface KeyRecord {
  key: SigningKey;
  /** When it was written to the key store, i.e. first published (ms since the epoch). */
  createdAt: number;
  /** From when it signs, unless a key of its type that activates later has activated too. */
  activatesAt: number;
  /**
   * The longest access-token lifetime in force while it could sign: it stays published this long (plus the
   * clock skew allowance) after it retires.
   */
  tokenLifetimeSeconds: number;
}

/** The stored key set: the keys, and the on-demand requests already handled (each value acts once). */
export interface KeyRing {
  keys: readonly KeyRecord[];
  handled: { rotate?: string; revoke?: string };
}

/**
 * - `next`: published, not signing yet (resource servers fetch it before they meet a token it signed);
 * - `active`: signs (exactly one per key type);
 * - `retired`: published, no longer signs, until every token it signed has expired;
 * - `expired`: neither published nor signing; the leader removes it from the store.
 */
export type KeyState = 'next' | 'active' | 'retired' | 'expired';

export interface KeyStatus {
  record: KeyRecord;
  state: KeyState;
  /** When a later key took over (retired and expired keys). */
  retiredAt?: number;
  /** When it leaves the JWKS (retired and expired keys). */
  removeAt?: number;
}

function byActivation(a: KeyRecord, b: KeyRecord): number {
  return (
    a.activatesAt - b.activatesAt ||
    a.createdAt - b.createdAt ||
    (a.key.kid < b.key.kid ? -1 : a.key.kid > b.key.kid ? 1 : 0)
  );
}

/** The records of one algorithm in the order they take over from each other. */
export function recordsOf(keys: readonly KeyRecord[], alg: SigningAlgorithm): KeyRecord[] {
  return keys.filter((r) => r.key.alg === alg).sort(byActivation);
}

/**
 * The state of every key at `now`. Per algorithm the active key is the last one whose activation time has
 * come; each earlier key retired when its successor activated. When no key's time has come (only on a
 * first start or after a revocation, read with a clock slightly behind the writer's), the earliest key is
 * active: there is nothing else to sign with, and no token can be in use yet that another key would verify.
 */
export function keyStatuses(keys: readonly KeyRecord[], now: number, clockSkewMs: number): KeyStatus[] {
  const out: KeyStatus[] = [];
  for (const alg of KEY_ALGORITHMS) {
    const ordered = recordsOf(keys, alg);
    if (ordered.length === 0) continue;
    let active = -1;
    ordered.forEach((r, i) => {
      if (r.activatesAt <= now) active = i;
    });
    if (active === -1) active = 0;
    ordered.forEach((record, i) => {
      if (i === active) return out.push({ record, state: 'active' });
      if (i > active) return out.push({ record, state: 'next' });
      const retiredAt = (ordered[i + 1] as KeyRecord).activatesAt;
      const removeAt = retiredAt + record.tokenLifetimeSeconds * 1000 + clockSkewMs;
      out.push({ record, state: now < removeAt ? 'retired' : 'expired', retiredAt, removeAt });
    });
  }
  return out;
}

/**
 * How long resource servers may cache the JWKS: a tenth of the pre-publish period, so a new key has been in
 * every honoured cache long before it signs, capped at {@link JWKS_MAX_AGE_SECONDS} so a revoked key leaves
 * those caches within minutes.
 */
export function jwksMaxAgeSeconds(prePublishMs: number): number {
  return Math.min(JWKS_MAX_AGE_SECONDS, Math.floor(prePublishMs / 10_000));
}

/**
 * The key set in force at `now`: the active key of each type signs, every next, active and retired key is
 * published, each under all its names (ed25519-alias.ts), so a name is published and removed with its key.
 */
export function keySetAt(
  keys: readonly KeyRecord[],
  now: number,
  timing: { prePublishMs: number; clockSkewMs: number },
): SigningKeys {
  const statuses = keyStatuses(keys, now, timing.clockSkewMs);
  const named = (keep: (s: KeyStatus) => boolean) =>
    statuses.filter(keep).flatMap((s) => namesOf(s.record.key));
  return {
    active: new Map(named((s) => s.state === 'active').map((k) => [k.alg, k])),
    published: named((s) => s.state !== 'expired').map((k) => k.publicJwk),
    maxAgeSeconds: jwksMaxAgeSeconds(timing.prePublishMs),
  };
}

/** The next moment after `now` at which the key set in force changes (a key activates or leaves the JWKS). */
export function nextKeyChange(
  keys: readonly KeyRecord[],
  now: number,
  clockSkewMs: number,
): number | undefined {
  let next: number | undefined;
  for (const s of keyStatuses(keys, now, clockSkewMs)) {
    const at = s.state === 'next' ? s.record.activatesAt : s.state === 'retired' ? s.removeAt : undefined;
    if (at !== undefined && at > now && (next === undefined || at < next)) next = at;
  }
  return next;
}

/** Whether two key sets sign with the same keys and publish the same ones the same way. */
export function sameKeySet(a: SigningKeys | undefined, b: SigningKeys): boolean {
  if (a === undefined || a.maxAgeSeconds !== b.maxAgeSeconds) return false;
  const kids = (k: SigningKeys) =>
    `${SIGNING_ALGORITHMS.map((alg) => k.active.get(alg)?.kid).join()}|${k.published.map((j) => j.kid).join()}`;
  return kids(a) === kids(b);
}

/** The longest access-token lifetime among APIs (0 without any): how long a key's tokens may live. */
export function longestTokenLifetime(apis: Iterable<{ lifetimeSeconds: number }>): number {
  let longest = 0;
  for (const api of apis) longest = Math.max(longest, api.lifetimeSeconds);
  return longest;
}

/**
 * The APIs whose tokens a retired key must outlive: every declared one, and the built-in management API only
 * while a client is granted it. Only Latchkey verifies the management API's tokens, and it refuses those of a
 * client no longer granted it, so none of them needs a key kept longer than that.
 */
export function tokenIssuingApis(snapshot: {
  apis: ReadonlyMap<string, { lifetimeSeconds: number; builtIn?: boolean; identifier: string }>;
  clients: ReadonlyMap<string, { permissions: ReadonlyMap<string, unknown> }>;
}): { lifetimeSeconds: number }[] {
  const out: { lifetimeSeconds: number }[] = [];
  for (const api of snapshot.apis.values()) {
    if (api.builtIn !== true || someClientGranted(snapshot.clients.values(), api.identifier)) out.push(api);
  }
  return out;
}

function someClientGranted(
  clients: Iterable<{ permissions: ReadonlyMap<string, unknown> }>,
  identifier: string,
): boolean {
  for (const c of clients) if (c.permissions.has(identifier)) return true;
  return false;
}
