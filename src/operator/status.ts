import { isDeepStrictEqual } from 'node:util';
import type { KindName } from '../api/kinds.ts';
import type { Resolution } from '../store/compile.ts';
import type { DeclaredOAuthClient, DeclaredObject, InvalidObject } from '../store/objects.ts';
import { Reason } from '../store/reasons.ts';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export interface ObjectStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  clientId?: string;
  secretName?: string;
  secretRotatedAt?: string;
  previousSecretValidUntil?: string;
  nextSecretRotationAt?: string;
  organizationId?: string;
  issuer?: string;
  jwksUri?: string;
}

/** Kubernetes `metav1.Time`: RFC 3339 in UTC with seconds precision. */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The status fields the store decides besides conditions, in the order they are written. */
const RESOLVED_FIELDS = [
  'clientId',
  'secretName',
  'secretRotatedAt',
  'previousSecretValidUntil',
  'nextSecretRotationAt',
  'organizationId',
  'issuer',
  'jwksUri',
] as const;

/**
 * The status an object should have, from the store's resolution. `lastTransitionTime` moves only when
 * a condition's status changes (API conventions), so rewriting the same facts changes nothing.
 */
export function desiredStatus(
  resolution: Resolution,
  previous: ObjectStatus | undefined,
  nowMs: number,
): ObjectStatus {
  const before = previous?.conditions;
  const conditions = resolution.conditions.map((c): Condition => {
    const old = Array.isArray(before) ? before.findLast((b) => b?.type === c.type) : undefined;
    return {
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
      ...(resolution.generation !== undefined ? { observedGeneration: resolution.generation } : {}),
      lastTransitionTime:
        old !== undefined && old.status === c.status ? old.lastTransitionTime : kubeTime(nowMs),
    };
  });
  const extra: ObjectStatus = {};
  for (const field of RESOLVED_FIELDS) {
    const value = resolution[field];
    if (value !== undefined) extra[field] = value;
  }
  return {
    ...(resolution.generation !== undefined ? { observedGeneration: resolution.generation } : {}),
    ...extra,
    conditions,
  };
}

/**
 * Whether writing `next` would change what the API server holds: the same fields with the same values,
 * in any key order and any condition order (the API server keeps neither), absent and undefined alike.
 * Runs for every object the operator re-checks, so it compares in place instead of building sorted copies.
 */
export function statusChanged(current: ObjectStatus | undefined, next: ObjectStatus): boolean {
  const cur = (current ?? {}) as Record<string, unknown>;
  const want = next as Record<string, unknown>;
  let fields = 0;
  for (const key in want) {
    const value = want[key];
    if (value === undefined) continue;
    fields++;
    if (key === 'conditions') {
      if (!sameConditions(cur[key], value as readonly Condition[])) return true;
    } else if (!sameValue(cur[key], value)) return true;
  }
  return definedKeys(cur) !== fields;
}

function sameConditions(current: unknown, next: readonly Condition[]): boolean {
  if (!Array.isArray(current) || current.length !== next.length) return false;
  for (const c of next) {
    // Types are unique within a status: matching by type is what sorting by type compared.
    const match: unknown = current.find((o: unknown) => isRecord(o) && o['type'] === c.type);
    if (!isRecord(match)) return false;
    const want = c as unknown as Record<string, unknown>;
    let keys = 0;
    for (const key in want) {
      keys++;
      if (!Object.hasOwn(match, key) || !sameValue(match[key], want[key])) return false;
    }
    if (Object.keys(match).length !== keys) return false;
  }
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  return Object.is(a, b) || (typeof a === 'object' && a !== null && isDeepStrictEqual(a, b));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function definedKeys(o: Record<string, unknown>): number {
  let n = 0;
  for (const key in o) if (o[key] !== undefined) n++;
  return n;
}

/**
 * The merge patch that makes `current` into `next`. A merge patch keeps what it does not name: a field that
 * no longer applies (the previous secret's valid-until once it expired, say) is removed with an explicit null.
 */
export function statusPatch(current: ObjectStatus | undefined, next: ObjectStatus): Record<string, unknown> {
  const removed = Object.keys(current ?? {})
    .filter((k) => !(k in next))
    .map((k) => [k, null]);
  return { ...Object.fromEntries(removed), ...next };
}

/** A Kubernetes Event worth recording about a status change. */
export interface StatusNews {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/**
 * Whether writing `next` over `current` is news worth an Event: Ready became not True, or stays not True for
 * another reason. A new client waiting a moment for the Secret the leader is creating (`waitingForOwnSecret`,
 * see {@link waitsForOwnSecret}) is not.
 */
export function statusNews(
  current: ObjectStatus | undefined,
  next: ObjectStatus,
  waitingForOwnSecret: (reason: string) => boolean,
): StatusNews | undefined {
  const was = current?.conditions?.find((c) => c.type === 'Ready');
  const ready = next.conditions?.find((c) => c.type === 'Ready');
  if (
    ready &&
    ready.status !== 'True' &&
    (was?.reason !== ready.reason || was?.status !== ready.status) &&
    !waitingForOwnSecret(ready.reason)
  ) {
    return {
      type: ready.status === 'False' ? 'Warning' : 'Normal',
      reason: ready.reason,
      message: ready.message,
    };
  }
  return undefined;
}

/** Whether an object whose Ready reason is `reason` waits for the Secret the leader generates for it. */
export function waitsForOwnSecret(
  kind: KindName,
  reason: string,
  declared: () => DeclaredObject | InvalidObject,
): boolean {
  if (kind !== 'OAuthClient' || reason !== Reason.SecretMissing) return false;
  const d = declared();
  return 'spec' in d && (d as DeclaredOAuthClient).spec.secret.source === 'Generate';
}
