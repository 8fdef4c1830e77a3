/**
 * Leader election on a real coordination.k8s.io/v1 Lease in a real kube-apiserver: one leader among
 * candidates, takeover when the leader stops renewing, immediate handover on release, and stepping down
 * when renewals fail past the renew deadline.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeApi } from '../../src/kube/api.ts';
import { loadKubeConfig } from '../../src/kube/config.ts';
import type { Lease } from '../../src/kube/lease.ts';
import { CORE_NAMESPACES, LEASES, type KubeClient } from '../../src/kube/types.ts';
import { createControllerMetrics } from '../../src/operator/controller-metrics.ts';
import { createLeaderElector, type LeaderElector } from '../../src/operator/leader.ts';
import { startControlPlane, type ControlPlane } from './envtest.ts';

const ns = 'leader-election';
// Short timings so each scenario takes seconds; the ratios are those of the defaults (15 s / 10 s / 2 s).
const LEASE_SECONDS = 3;
const RENEW_DEADLINE_SECONDS = 2;
const RETRY_SECONDS = 0.4;
/**
 * For scenarios that must not depend on how fast a loaded machine answers: a Lease this long cannot expire
 * within the test's waits, so a handover seen there can only come from a release.
 */
const PATIENT = { leaseDurationSeconds: 60, renewDeadlineSeconds: 40, retryPeriodSeconds: RETRY_SECONDS };
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

async function eventually(check: () => void | Promise<void>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

interface Candidate {
  identity: string;
  elector: LeaderElector;
  stop: AbortController;
  running: Promise<void>;
  started: number;
  stopped: number;
  /** Leadership changes seen by the callbacks, in order. */
  history: string[];
}

describe('leader election against a real API server', () => {
  let cp: ControlPlane;
  let api: KubeClient;
  const registry = new Registry();
  const metrics = createControllerMetrics(registry);
  const everyone: Candidate[] = [];

  beforeAll(async () => {
    cp = await startControlPlane();
    api = createKubeApi(loadKubeConfig({ kubeconfig: cp.kubeconfigPath }));
    await api.create(CORE_NAMESPACES, undefined, { metadata: { name: ns } });
  }, 10 * 60_000);

  afterAll(async () => {
    for (const c of everyone) c.stop.abort();
    await Promise.all(everyone.map((c) => c.running));
    await api?.close();
    await cp?.stop();
  }, 60_000);

  function candidate(
    lease: string,
    identity: string,
    timings = {
      leaseDurationSeconds: LEASE_SECONDS,
      renewDeadlineSeconds: RENEW_DEADLINE_SECONDS,
      retryPeriodSeconds: RETRY_SECONDS,
    },
  ): Candidate {
    const c: Partial<Candidate> & { history: string[]; started: number; stopped: number } = {
      identity,
      history: [],
      started: 0,
      stopped: 0,
    };
    c.stop = new AbortController();
    c.elector = createLeaderElector({
      api,
      namespace: ns,
      name: lease,
      identity,
      ...timings,
      metrics: metrics.leaderElection(`${lease}/${identity}`),
      onStartedLeading: (signal) => {
        c.started++;
        c.history.push('started');
        signal.addEventListener('abort', () => c.history.push('signal aborted'));
      },
      onStoppedLeading: () => {
        c.stopped++;
        c.history.push('stopped');
      },
    });
    c.running = c.elector.run(c.stop.signal);
    everyone.push(c as Candidate);
    return c as Candidate;
  }

  const leaseOf = (name: string) => api.get<Lease>(LEASES, ns, name);
  const leaders = (cs: Candidate[]) => cs.filter((c) => c.elector.isLeader()).map((c) => c.identity);

  it('makes exactly one of two candidates leader and records it in the Lease', async () => {
    const a = candidate('one-leader', 'replica-a', PATIENT);
    const b = candidate('one-leader', 'replica-b', PATIENT);
    await eventually(() => expect(leaders([a, b])).toHaveLength(1));
    const [leader] = leaders([a, b]);

    // Over several renewals: never two leaders, never a change of leader.
    const until = Date.now() + 3 * RETRY_SECONDS * 1000 + 500;
    while (Date.now() < until) {
      expect(leaders([a, b])).toEqual([leader]);
      await new Promise((r) => setTimeout(r, 20));
    }
    const lease = await leaseOf('one-leader');
    expect(lease?.spec?.holderIdentity).toBe(leader);
    expect(lease?.spec?.leaseDurationSeconds).toBe(PATIENT.leaseDurationSeconds);
    expect(lease?.spec?.leaseTransitions).toBe(0);
    expect(lease?.spec?.acquireTime).toMatch(MICRO_TIME);
    expect(lease?.spec?.renewTime).toMatch(MICRO_TIME);
    const firstRenew = lease?.spec?.renewTime;
    await eventually(async () => expect((await leaseOf('one-leader'))?.spec?.renewTime).not.toBe(firstRenew));

    const gauge = (await registry.getSingleMetric('leader_election_master_status')?.get())?.values ?? [];
    const status = (id: string) => gauge.find((v) => v.labels.name === `one-leader/${id}`)?.value;
    expect(status(leader ?? '')).toBe(1);
    expect(status(leader === 'replica-a' ? 'replica-b' : 'replica-a')).toBe(0);
  });

  it('lets another candidate take over once the lease expires when the leader stops renewing', async () => {
    const a = candidate('takeover', 'first');
    await eventually(() => expect(a.elector.isLeader()).toBe(true));
    const b = candidate('takeover', 'second');
    await new Promise((r) => setTimeout(r, 2 * RETRY_SECONDS * 1000));
    expect(b.elector.isLeader()).toBe(false);

    // The leader's renewals stop without a release, as when its process hangs or is partitioned.
    const stoppedAt = Date.now();
    a.stop.abort();
    await a.running;
    expect(a.elector.isLeader()).toBe(false);
    expect(a.history).toEqual(['started', 'signal aborted', 'stopped']);
    expect((await leaseOf('takeover'))?.spec?.holderIdentity).toBe('first');

    await eventually(() => expect(b.elector.isLeader()).toBe(true), 10_000);
    // Not before the lease could have expired (a slow machine only makes this later; how much later is
    // bounded by the wait above, not asserted, so load on the machine cannot fail the test).
    expect((Date.now() - stoppedAt) / 1000).toBeGreaterThanOrEqual(LEASE_SECONDS - RETRY_SECONDS - 0.1);
    const lease = await leaseOf('takeover');
    expect(lease?.spec?.holderIdentity).toBe('second');
    expect(lease?.spec?.leaseTransitions).toBe(1);
  });

  it('hands over at once on release', async () => {
    const a = candidate('release', 'outgoing', PATIENT);
    await eventually(() => expect(a.elector.isLeader()).toBe(true));
    const b = candidate('release', 'incoming', PATIENT);
    await new Promise((r) => setTimeout(r, 2 * RETRY_SECONDS * 1000));
    expect(b.elector.isLeader()).toBe(false);

    await a.elector.release();
    expect(a.elector.isLeader()).toBe(false);
    expect(a.stopped).toBe(1);
    // The Lease runs for a minute, far beyond this wait: taking over here is only possible through the release.
    await eventually(() => expect(b.elector.isLeader()).toBe(true), 15_000);
    expect((await leaseOf('release'))?.spec?.holderIdentity).toBe('incoming');
    await a.running;

    // A candidate that does not hold the Lease leaves it alone on release.
    const c = candidate('release', 'bystander', PATIENT);
    await c.elector.release();
    expect((await leaseOf('release'))?.spec?.holderIdentity).toBe('incoming');
  });

  it('steps down when it cannot renew within the renew deadline, and leads again once it can', async () => {
    const a = candidate('deadline', 'lonely');
    await eventually(() => expect(a.elector.isLeader()).toBe(true));

    await cp.stopApiServer();
    // It steps down on its own while the API server is still down (no answer can tell it to). How soon is
    // set by the renew deadline; a wall-clock bound here would measure the machine's load, not the elector.
    await eventually(() => expect(a.elector.isLeader()).toBe(false), 10_000);
    expect(a.history).toEqual(['started', 'signal aborted', 'stopped']);

    await cp.startApiServer();
    // The Lease still names it, so it takes it back without waiting for expiry.
    await eventually(() => expect(a.elector.isLeader()).toBe(true), 15_000);
    // A restarted API server can be slow to answer its first renewals (on a busy machine, past the renew
    // deadline): then it steps down and takes the Lease back again, which is right. Whatever the number of
    // turns, each one started, aborted its signal and stopped before the next started.
    expect(a.started).toBeGreaterThanOrEqual(2);
    expect(a.stopped).toBe(a.started - 1);
    expect(a.history).toEqual([
      ...Array.from({ length: a.stopped }, () => ['started', 'signal aborted', 'stopped']).flat(),
      'started',
    ]);
  }, 60_000);

  it('refuses timings that cannot work', () => {
    const base = { api, namespace: ns, name: 'x', identity: 'y' };
    expect(() =>
      createLeaderElector({ ...base, leaseDurationSeconds: 10, renewDeadlineSeconds: 10 }),
    ).toThrow(/leaseDurationSeconds/);
    expect(() => createLeaderElector({ ...base, renewDeadlineSeconds: 2, retryPeriodSeconds: 2 })).toThrow();
    expect(() => createLeaderElector({ ...base, identity: '' })).toThrow(/identity/);
  });
});
