import type { KubeObject } from './types.ts';

/** coordination.k8s.io/v1 LeaseSpec. Times are MicroTime strings. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/**
 * Kubernetes `metav1.MicroTime`: RFC 3339 in UTC with exactly six fractional digits, the format the API
 * server expects for a Lease's acquireTime and renewTime.
 *
 * @example microTime(Date.UTC(2026, 10, 23, 10)) // '2026-11-23T10:00:00.000000Z'
 */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Milliseconds since the epoch of an RFC 3339 time (any fraction length), or undefined if it is not one. */
export function parseMicroTime(value: string | undefined): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(value ?? '');
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}.${(m[2] ?? '').padEnd(3, '0').slice(0, 3)}${m[3]}`);
  return Number.isNaN(ms) ? undefined : ms;
}

export interface LeaseDecisionInput {
  /** The Lease as read, or undefined when it does not exist. */
  lease: Lease | undefined;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  now: number;
}

/** What to do about the Lease now: write one of these bodies, or wait for the holder's lease to expire. */
export type LeaseAction =
  | { kind: 'create'; lease: Lease }
  | { kind: 'acquire'; lease: Lease }
  | { kind: 'renew'; lease: Lease }
  | { kind: 'wait'; holder: string; expiresAt: number };

/**
 * Decides, as client-go's leader election does, from the Lease and the time alone: create it when absent,
 * renew it when it is ours, take it over when it is free (released) or expired (renewTime + the holder's
 * leaseDurationSeconds is past), otherwise wait. Written bodies keep the read resourceVersion, so a replace
 * fails with 409 when another replica wrote in between. Pure.
 */
export function decideLease(input: LeaseDecisionInput): LeaseAction {
  const { lease, identity, now } = input;
  const duration = Math.ceil(input.leaseDurationSeconds);
  const nowTime = microTime(now);
  if (lease === undefined) {
    return {
      kind: 'create',
      lease: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: input.name, namespace: input.namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: duration,
          acquireTime: nowTime,
          renewTime: nowTime,
          leaseTransitions: 0,
        },
      },
    };
  }
  const spec = lease.spec ?? {};
  const holder = spec.holderIdentity ?? '';
  const transitions = spec.leaseTransitions ?? 0;
  if (holder === identity) {
    return {
      kind: 'renew',
      lease: {
        ...lease,
        spec: { ...spec, leaseDurationSeconds: duration, renewTime: nowTime, leaseTransitions: transitions },
      },
    };
  }
  const renewed = parseMicroTime(spec.renewTime);
  const expiresAt = renewed === undefined ? 0 : renewed + (spec.leaseDurationSeconds ?? 0) * 1000;
  if (holder !== '' && expiresAt > now) return { kind: 'wait', holder, expiresAt };
  return {
    kind: 'acquire',
    lease: {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: duration,
        acquireTime: nowTime,
        renewTime: nowTime,
        leaseTransitions: transitions + 1,
      },
    },
  };
}

/**
 * The Lease as its holder hands it over on shutdown: no holder and a one-second duration, so the next
 * candidate takes it at its next try instead of waiting out the lease (client-go's ReleaseOnCancel).
 */
export function releasedLease(lease: Lease, now: number): Lease {
  const nowTime = microTime(now);
  return {
    ...lease,
    spec: {
      ...lease.spec,
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: nowTime,
      renewTime: nowTime,
    },
  };
}
