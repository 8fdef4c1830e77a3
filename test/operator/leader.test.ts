/**
 * Leader election against an in-memory Lease API whose answers the test can hold back, to pin down orderings
 * that a real API server produces only under load. The real-API-server scenarios are in
 * test/integration/leader.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Lease } from '../../src/kube/lease.ts';
import { KubeApiError } from '../../src/kube/types.ts';
import { createLeaderElector, type LeaderElectorOptions } from '../../src/operator/leader.ts';

type LeaseApi = LeaderElectorOptions['api'];

/** One Lease with optimistic concurrency, as the API server keeps it: a stale resourceVersion is a 409. */
class MemoryLeases {
  lease: Lease | undefined;
  #version = 0;
  /** While set, the holder's renewals wait here before they are written. */
  renewalGate: Promise<void> | undefined;
  /** Resolves when a renewal reached the gate. */
  renewalHeld: Promise<void>;
  #markHeld!: () => void;
  /** Called on every read before it takes its copy; may hold the read back. */
  beforeGet: (() => Promise<void>) | undefined;
  /** Called on every read after it took its copy; may hold the answer back. */
  afterGet: ((copy: Lease | undefined) => Promise<void>) | undefined;

  constructor() {
    this.renewalHeld = new Promise((resolve) => (this.#markHeld = resolve));
  }

  api(): LeaseApi {
    return {
      get: async <T>(): Promise<T | undefined> => {
        await this.beforeGet?.();
        const copy = structuredClone(this.lease);
        await this.afterGet?.(copy);
        return copy as T | undefined;
      },
      create: async <T>(_type: unknown, _ns: unknown, body: T): Promise<T> => {
        if (this.lease !== undefined) throw new KubeApiError(409, 'AlreadyExists', 'exists');
        return this.#write(body as Lease) as T;
      },
      replace: async <T>(_type: unknown, _ns: unknown, _name: unknown, body: T): Promise<T> => {
        const lease = body as Lease;
        const renewal =
          lease.spec?.holderIdentity === this.lease?.spec?.holderIdentity && lease.spec?.holderIdentity;
        if (renewal && this.renewalGate !== undefined) {
          this.#markHeld();
          await this.renewalGate;
        }
        if (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) {
          throw new KubeApiError(409, 'Conflict', 'the object has been modified');
        }
        return this.#write(lease) as T;
      },
    } as unknown as LeaseApi;
  }

  #write(lease: Lease): Lease {
    this.#version += 1;
    this.lease = {
      ...structuredClone(lease),
      metadata: { ...lease.metadata, resourceVersion: `${this.#version}` },
    };
    return structuredClone(this.lease);
  }
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

describe('leader election release', () => {
  const timings = { leaseDurationSeconds: 60, renewDeadlineSeconds: 40, retryPeriodSeconds: 0.02 };

  it('hands the Lease over even when a renewal lands between its read and its write', async () => {
    const leases = new MemoryLeases();
    const elector = createLeaderElector({
      api: leases.api(),
      namespace: 'ns',
      name: 'l',
      identity: 'a',
      ...timings,
    });
    const running = elector.run(new AbortController().signal);
    await until(() => elector.isLeader());

    let opened = false;
    let release!: () => void;
    const open = () => {
      opened = true;
      leases.renewalGate = undefined;
      release();
    };
    leases.renewalGate = new Promise((resolve) => (release = resolve));
    await leases.renewalHeld;
    // The renewal in flight lands right after release() has read the Lease, so release()'s write carries a
    // stale resourceVersion. An elector that waits for its renewal first reads after it (the gate opens anyway
    // once the run has ended).
    leases.afterGet = async (copy) => {
      if (opened) return;
      open();
      await until(() => leases.lease?.metadata?.resourceVersion !== copy?.metadata?.resourceVersion);
    };
    const released = elector.release();
    await running;
    setTimeout(() => open(), 50);
    await released;

    expect(elector.isLeader()).toBe(false);
    expect(leases.lease?.spec?.holderIdentity).toBe('');
  });

  it('does not take the Lease back with a try that was in flight when it released', async () => {
    const leases = new MemoryLeases();
    const elector = createLeaderElector({
      api: leases.api(),
      namespace: 'ns',
      name: 'l',
      identity: 'a',
      ...timings,
    });
    const running = elector.run(new AbortController().signal);
    await until(() => elector.isLeader());

    // A renewal reads the Lease only after release() has written it free: it would decide to acquire it.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let reads = 0;
    leases.beforeGet = async () => {
      reads += 1;
      if (reads === 1) await gate;
    };
    await until(() => reads === 1);
    const released = elector.release();
    await running;
    setTimeout(() => open(), 50);
    await released;
    await new Promise((r) => setTimeout(r, 50));

    expect(leases.lease?.spec?.holderIdentity).toBe('');
  });
});
