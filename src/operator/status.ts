import { isDeepStrictEqual } from 'node:util';
import type { Resolution } from '../store/compile.ts';

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

/**
 * The status an object should have, from the store's resolution. `lastTransitionTime` moves only when
 * a condition's status changes (API conventions), so rewriting the same facts changes nothing.
 */
export function desiredStatus(
  resolution: Resolution,
  previous: ObjectStatus | undefined,
  nowMs: number,
): ObjectStatus {
  const before = new Map((previous?.conditions ?? []).map((c) => [c.type, c]));
  const conditions = resolution.conditions.map((c): Condition => {
    const old = before.get(c.type);
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
  for (const field of [
    'clientId',
    'secretName',
    'secretRotatedAt',
    'previousSecretValidUntil',
    'nextSecretRotationAt',
    'organizationId',
    'issuer',
    'jwksUri',
  ] as const) {
    const value = resolution[field];
    if (value !== undefined) extra[field] = value;
  }
  return {
    ...(resolution.generation !== undefined ? { observedGeneration: resolution.generation } : {}),
    ...extra,
    conditions,
  };
}

/** Whether writing `next` would change what the API server holds. */
export function statusChanged(current: ObjectStatus | undefined, next: ObjectStatus): boolean {
  return !isDeepStrictEqual(normalize(current ?? {}), normalize(next));
}

function normalize(s: ObjectStatus): ObjectStatus {
  return Object.fromEntries(
    Object.entries(s)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) =>
        k === 'conditions'
          ? [
              k,
              [...(v as Condition[])]
                .sort((a, b) => a.type.localeCompare(b.type))
                .map((c) => Object.fromEntries(Object.entries(c).sort(([x], [y]) => x.localeCompare(y)))),
            ]
          : [k, v],
      )
      .sort(([a], [b]) => a.localeCompare(b)),
  ) as ObjectStatus;
}
