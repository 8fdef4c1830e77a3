import { describe, expect, it } from 'vitest';
import { decideLease, microTime, parseMicroTime, releasedLease, type Lease } from '../../src/kube/lease.ts';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const base = {
  namespace: 'latchkey-system',
  name: 'latchkey-operator',
  identity: 'me',
  leaseDurationSeconds: 15,
};

function lease(spec: Lease['spec']): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: base.name, namespace: base.namespace, resourceVersion: '42' },
    spec,
  };
}

describe('microTime', () => {
  it('writes RFC 3339 in UTC with six fractional digits', () => {
    expect(microTime(T0)).toBe('2026-11-23T10:00:00.000000Z');
    expect(microTime(T0 + 1234)).toBe('2026-11-23T10:00:01.234000Z');
  });

  it.each([
    ['2026-11-23T10:00:01.234567Z', T0 + 1234],
    ['2026-11-23T10:00:01Z', T0 + 1000],
    ['2026-11-23T11:00:01.5+01:00', T0 + 1500],
  ])('reads %s', (text, ms) => {
    expect(parseMicroTime(text)).toBe(ms);
  });

  it.each(['', 'yesterday', '2026-11-23 10:00:00Z', '2026-13-45T10:00:00Z', '__proto__', undefined])(
    'refuses %j',
    (text) => {
      expect(parseMicroTime(text)).toBeUndefined();
    },
  );
});

describe('decideLease', () => {
  const at = (ms: number) => microTime(ms);

  it.each<{ case: string; lease: Lease | undefined; now: number; expect: string; holder?: string }>([
    { case: 'absent → create', lease: undefined, now: T0, expect: 'create' },
    {
      case: 'ours → renew, even when expired',
      lease: lease({ holderIdentity: 'me', leaseDurationSeconds: 15, renewTime: at(T0 - 60_000) }),
      now: T0,
      expect: 'renew',
    },
    {
      case: 'another holder within its duration → wait',
      lease: lease({ holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: at(T0 - 14_999) }),
      now: T0,
      expect: 'wait',
      holder: 'other',
    },
    {
      case: 'another holder exactly at expiry → acquire',
      lease: lease({ holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: at(T0 - 15_000) }),
      now: T0,
      expect: 'acquire',
    },
    {
      case: "judged by the holder's duration, not ours",
      lease: lease({ holderIdentity: 'other', leaseDurationSeconds: 60, renewTime: at(T0 - 30_000) }),
      now: T0,
      expect: 'wait',
      holder: 'other',
    },
    {
      case: 'released (no holder) → acquire at once',
      lease: lease({ holderIdentity: '', leaseDurationSeconds: 1, renewTime: at(T0) }),
      now: T0,
      expect: 'acquire',
    },
    {
      case: 'no renewTime → acquire',
      lease: lease({ holderIdentity: 'other', leaseDurationSeconds: 15 }),
      now: T0,
      expect: 'acquire',
    },
    {
      case: 'unreadable renewTime → acquire',
      lease: lease({ holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: 'soon' }),
      now: T0,
      expect: 'acquire',
    },
    { case: 'no spec at all → acquire', lease: lease(undefined), now: T0, expect: 'acquire' },
  ])('$case', (row) => {
    const action = decideLease({ ...base, lease: row.lease, now: row.now });
    expect(action.kind).toBe(row.expect);
    if (action.kind === 'wait') expect(action.holder).toBe(row.holder);
  });

  it('creates a Lease held by us with MicroTime stamps and no transitions', () => {
    const action = decideLease({ ...base, lease: undefined, now: T0 });
    expect(action).toEqual({
      kind: 'create',
      lease: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'latchkey-operator', namespace: 'latchkey-system' },
        spec: {
          holderIdentity: 'me',
          leaseDurationSeconds: 15,
          acquireTime: '2026-11-23T10:00:00.000000Z',
          renewTime: '2026-11-23T10:00:00.000000Z',
          leaseTransitions: 0,
        },
      },
    });
  });

  it('takes over an expired Lease: new holder, counted transition, read resourceVersion kept', () => {
    const old = lease({
      holderIdentity: 'other',
      leaseDurationSeconds: 15,
      acquireTime: at(T0 - 100_000),
      renewTime: at(T0 - 20_000),
      leaseTransitions: 3,
    });
    const action = decideLease({ ...base, lease: old, now: T0 });
    expect(action.kind).toBe('acquire');
    if (action.kind !== 'acquire') return;
    expect(action.lease.metadata.resourceVersion).toBe('42');
    expect(action.lease.spec).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: microTime(T0),
      renewTime: microTime(T0),
      leaseTransitions: 4,
    });
    expect(old.spec?.holderIdentity).toBe('other');
  });

  it('renews by moving renewTime only', () => {
    const old = lease({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: at(T0 - 100_000),
      renewTime: at(T0 - 2_000),
      leaseTransitions: 3,
    });
    const action = decideLease({ ...base, lease: old, now: T0 });
    expect(action.kind === 'renew' && action.lease.spec).toEqual({ ...old.spec, renewTime: microTime(T0) });
  });

  it('tells a waiting candidate when the holder expires', () => {
    const held = lease({ holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: at(T0 - 5_000) });
    expect(decideLease({ ...base, lease: held, now: T0 })).toEqual({
      kind: 'wait',
      holder: 'other',
      expiresAt: T0 + 10_000,
    });
  });

  it('writes whole seconds, as the Lease field is an integer', () => {
    const action = decideLease({ ...base, leaseDurationSeconds: 2.5, lease: undefined, now: T0 });
    expect(action.kind === 'create' && action.lease.spec?.leaseDurationSeconds).toBe(3);
  });
});

describe('releasedLease', () => {
  it('clears the holder and shortens the duration so the next candidate acquires at once', () => {
    const held = lease({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      renewTime: microTime(T0),
      leaseTransitions: 2,
    });
    const released = releasedLease(held, T0 + 1000);
    expect(released.spec).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: microTime(T0 + 1000),
      renewTime: microTime(T0 + 1000),
      leaseTransitions: 2,
    });
    expect(decideLease({ ...base, identity: 'next', lease: released, now: T0 + 1000 }).kind).toBe('acquire');
  });
});
