import type { RecordKind } from '../state/runtime-state.ts';
import type { PeopleDeps } from './deps.ts';
import { addressBucket } from './throttle.ts';

/**
 * Bounds on what anonymous browsers and clients can make the server keep: an authorization request and an upstream
 * sign-in are records that live for minutes whether or not anyone finishes them, and anybody can start either.
 * Each is owned by its source address (an IPv6 /64 counts as one, as for the sign-in throttle, throttle.ts) and
 * refused past a limit that `RuntimeState.insert`'s `ownerLimit` checks atomically across replicas; a pushed
 * request (RFC 9126) is owned by the client that authenticated to push it, whose server pushes from one address.
 * A flood from one network then fills only its own share: other addresses sign in as before.
 *
 * Failed sign-ins (`sign_in_failure`) need no limit of their own: one record per address and one per person
 * tried, and an address at its throttle limit is refused before a new person's record is written (throttle.ts).
 */
export interface PendingLimits {
  /** Unfinished authorization requests per source address; they last `REQUEST_LIFETIME_MS`. */
  requestsPerAddress: number;
  /** Upstream sign-ins waiting for the upstream's answer per source address (`UPSTREAM_LOGIN_LIFETIME_MS`). */
  upstreamLoginsPerAddress: number;
  /** Pushed requests waiting for their browser per client (`PUSHED_REQUEST_LIFETIME_SECONDS`). */
  pushedPerClient: number;
  /** Device authorizations (RFC 8628) waiting for their person per source address (`DEVICE_CODE_LIFETIME_MS`). */
  devicesPerAddress: number;
}

/**
 * A thousand sign-ins in progress from one address at once is far beyond an office behind one NAT (a person's
 * request is spent within seconds of signing in), yet keeps a flood from one address to a few megabytes.
 */
export const DEFAULT_PENDING_LIMITS: PendingLimits = {
  requestsPerAddress: 1000,
  upstreamLoginsPerAddress: 1000,
  pushedPerClient: 10_000,
  devicesPerAddress: 1000,
};

/** The owner of what a source address keeps pending: `address:<IPv4, or IPv6 /64>`. */
export function addressOwner(address: string): string {
  return `address:${addressBucket(address)}`;
}

/** The owner of the pushed requests of a client: `client:<client id>`. */
export function clientOwner(clientId: string): string {
  return `client:${clientId}`;
}

/** What each share of {@link PendingLimits} holds, and whose it is. */
const SHARES = {
  requestsPerAddress: { kind: 'authorization_request', owner: 'address' },
  upstreamLoginsPerAddress: { kind: 'upstream_login', owner: 'address' },
  pushedPerClient: { kind: 'authorization_request', owner: 'client' },
  devicesPerAddress: { kind: 'device_authorization', owner: 'address' },
} as const satisfies Record<keyof PendingLimits, { kind: RecordKind; owner: 'address' | 'client' }>;

export type PendingShare = keyof PendingLimits;

/** A pending record: `holder` is the source address or the client id, as its share says. */
export interface PendingRecord<T> {
  key: string;
  value: T;
  holder: string;
  expiresAtMs: number;
}

/**
 * Inserts a pending record within its holder's share of `deps.pendingLimits`. Resolves `{ stored: true }`, or,
 * when the share is full, emits `signIn.pendingRefused` and resolves the seconds until the holder's oldest
 * record expires and frees a place (for `Retry-After`).
 *
 * @throws {Error} when the key exists: keys are 256 random bits, so that would mean the randomness is broken
 */
export async function storePending<T>(
  deps: Pick<PeopleDeps, 'state' | 'events' | 'pendingLimits'>,
  share: PendingShare,
  record: PendingRecord<T>,
  nowMs: number,
): Promise<{ stored: true } | { stored: false; retryAfterSeconds: number }> {
  const result = await insertPending(deps, share, record, nowMs);
  if (result === 'exists')
    throw new Error(`a new ${SHARES[share].kind} record could not be stored: its key exists`);
  return result;
}

/**
 * {@link storePending} for a record whose key is short enough to collide (a device's user code): resolves
 * `'exists'` when it does, for the caller to draw another key.
 */
export async function insertPending<T>(
  deps: Pick<PeopleDeps, 'state' | 'events' | 'pendingLimits'>,
  share: PendingShare,
  record: PendingRecord<T>,
  nowMs: number,
): Promise<{ stored: true } | { stored: false; retryAfterSeconds: number } | 'exists'> {
  const { kind, owner: ownedBy } = SHARES[share];
  const owner = ownedBy === 'address' ? addressOwner(record.holder) : clientOwner(record.holder);
  const ownerLimit = (deps.pendingLimits ?? DEFAULT_PENDING_LIMITS)[share];
  const input = { value: record.value, owner, expiresAtMs: record.expiresAtMs };
  const result = await deps.state.insert(kind, record.key, input, nowMs, { ownerLimit });
  if (result === 'created') return { stored: true };
  if (result === 'exists') return 'exists';
  deps.events.emit('signIn.pendingRefused', { kind, owner: ownedBy });
  const [oldest] = await deps.state.listByOwner(kind, owner, nowMs, 1);
  return { stored: false, retryAfterSeconds: retryAfterSeconds(oldest?.expiresAtMs, nowMs) };
}

/** Whole seconds until `freeAtMs`, at least one (RFC 9110 §10.2.3); one when unknown (freed meanwhile). */
export function retryAfterSeconds(freeAtMs: number | undefined, nowMs: number): number {
  if (freeAtMs === undefined) return 1;
  return Math.max(1, Math.ceil((freeAtMs - nowMs) / 1000));
}
