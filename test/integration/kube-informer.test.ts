/**
 * The informer against a real kube-apiserver and etcd: list + watch, label selectors, pagination,
 * transform/filter, relist after 410 Gone (forced by compacting etcd past the informer's resourceVersion
 * while its watch is down), serving the cache while the API server is down, and a clean stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import { createKubeApi } from '../../src/kube/api.ts';
import { loadKubeConfig } from '../../src/kube/config.ts';
import { createInformer, type InformerOptions, type KubeInformer } from '../../src/kube/informer.ts';
import { sleep } from '../../src/timers.ts';
import {
  CORE_NAMESPACES,
  CORE_SECRETS,
  type InformerEvent,
  type KubeClient,
  type KubeObject,
  type ResourceType,
} from '../../src/kube/types.ts';
import { startControlPlane, type ControlPlane } from './envtest.ts';

const CONFIGMAPS: ResourceType = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };

/** Polls until `check` passes (it throws until then), failing with its last error after `ms`. */
async function eventually(check: () => void, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** A backoff sleep the test can hold shut, to keep the informer's watch down as long as it likes. */
function reconnectGate() {
  let closed = false;
  const held: (() => void)[] = [];
  return {
    sleep(ms: number, signal: AbortSignal): Promise<void> {
      if (!closed) return sleep(ms, signal);
      return new Promise((done) => {
        held.push(done);
        signal.addEventListener('abort', () => done(), { once: true });
      });
    },
    close() {
      closed = true;
    },
    open() {
      closed = false;
      for (const done of held.splice(0)) done();
    },
    holding: () => held.length > 0,
  };
}

interface Seen {
  type: InformerEvent<KubeObject>['type'];
  name: string;
  data?: unknown;
  previousData?: unknown;
}

function record(informer: KubeInformer<KubeObject>): Seen[] {
  const seen: Seen[] = [];
  informer.on((e) =>
    seen.push({
      type: e.type,
      name: e.object.metadata.name,
      ...(e.object.data !== undefined ? { data: e.object.data } : {}),
      ...(e.previous?.data !== undefined ? { previousData: e.previous.data } : {}),
    }),
  );
  return seen;
}

function busLog() {
  const events = new EventBus();
  const log: { name: keyof LatchkeyEvents; resource: string; reason?: string }[] = [];
  events.on('watch.reconnected', (p) => log.push({ name: 'watch.reconnected', ...p }));
  events.on('watch.relisted', (p) => log.push({ name: 'watch.relisted', ...p }));
  return { events, log };
}

describe('createInformer against a real API server', () => {
  let cp: ControlPlane;
  let api: KubeClient;
  const stops: AbortController[] = [];

  beforeAll(async () => {
    // Without it the API server waits for open watches (ours) for a minute when stopped, and the harness
    // kills it after ten seconds; with it, it ends them and stops at once.
    cp = await startControlPlane({ apiServerFlags: ['--shutdown-watch-termination-grace-period=2s'] });
    api = createKubeApi(loadKubeConfig({ kubeconfig: cp.kubeconfigPath }));
  }, 10 * 60_000);

  afterAll(async () => {
    for (const stop of stops) stop.abort();
    await api?.close();
    await cp?.stop();
  }, 60_000);

  async function namespace(name: string) {
    await api.create(CORE_NAMESPACES, undefined, { metadata: { name } });
    return name;
  }

  function started<T extends KubeObject = KubeObject>(type: ResourceType, options: InformerOptions<T>) {
    const informer = createInformer<T>(api, type, { backoff: { maxMs: 500 }, ...options });
    const stop = new AbortController();
    stops.push(stop);
    return { informer, stop, start: () => informer.start(stop.signal) };
  }

  it('lists what exists, then sees adds, updates and deletes', async () => {
    const ns = await namespace('informer-basic');
    await api.create(CONFIGMAPS, ns, { metadata: { name: 'a' }, data: { v: '1' } });
    await api.create(CONFIGMAPS, ns, { metadata: { name: 'b' }, data: { v: '1' } });
    const { informer, stop, start } = started(CONFIGMAPS, { namespace: ns });
    const seen = record(informer);
    start();
    await informer.synced();
    expect(informer.hasSynced()).toBe(true);
    expect(seen).toEqual([
      { type: 'added', name: 'a', data: { v: '1' } },
      { type: 'added', name: 'b', data: { v: '1' } },
    ]);
    expect(informer.get(ns, 'a')?.kind).toBe('ConfigMap');

    await api.create(CONFIGMAPS, ns, { metadata: { name: 'c' }, data: { v: '1' } });
    await api.patch(CONFIGMAPS, ns, 'a', { data: { v: '2' } });
    await api.delete(CONFIGMAPS, ns, 'b');
    await eventually(() =>
      expect(seen.slice(2)).toEqual([
        { type: 'added', name: 'c', data: { v: '1' } },
        { type: 'modified', name: 'a', data: { v: '2' }, previousData: { v: '1' } },
        { type: 'deleted', name: 'b', data: { v: '1' }, previousData: { v: '1' } },
      ]),
    );
    expect(informer.get(ns, 'a')?.data).toEqual({ v: '2' });
    expect(informer.get(ns, 'b')).toBeUndefined();
    expect(
      informer
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['a', 'c']);

    // A late subscriber sees the current cache as added.
    const late = record(informer);
    expect(late.map((s) => `${s.type} ${s.name}`).sort()).toEqual(['added a', 'added c']);
    stop.abort();
    await informer.stopped();
  });

  it('with a label selector sees only matching objects; one relabelled away leaves as deleted', async () => {
    const ns = await namespace('informer-labels');
    await api.create(CONFIGMAPS, ns, { metadata: { name: 'match', labels: { app: 'latchkey' } } });
    await api.create(CONFIGMAPS, ns, { metadata: { name: 'other', labels: { app: 'else' } } });
    const { informer, stop, start } = started(CONFIGMAPS, { namespace: ns, labelSelector: 'app=latchkey' });
    const seen = record(informer);
    start();
    await informer.synced();
    expect(seen.map((s) => `${s.type} ${s.name}`)).toEqual(['added match']);

    await api.create(CONFIGMAPS, ns, { metadata: { name: 'unlabelled' } });
    await api.patch(CONFIGMAPS, ns, 'other', { metadata: { labels: { app: 'latchkey' } } });
    await api.patch(CONFIGMAPS, ns, 'match', { metadata: { labels: { app: 'gone' } } });
    await eventually(() =>
      expect(seen.map((s) => `${s.type} ${s.name}`)).toEqual(['added match', 'added other', 'deleted match']),
    );
    expect(informer.list().map((o) => o.metadata.name)).toEqual(['other']);
    stop.abort();
    await informer.stopped();
  });

  it('pages through a list larger than its page size, across namespaces', async () => {
    const a = await namespace('informer-pages-a');
    const b = await namespace('informer-pages-b');
    for (let i = 0; i < 5; i++) {
      await api.create(CONFIGMAPS, i % 2 ? a : b, {
        metadata: { name: `page-${i}`, labels: { paged: 'yes' } },
      });
    }
    const { informer, stop, start } = started(CONFIGMAPS, { labelSelector: 'paged=yes', pageSize: 2 });
    start();
    await informer.synced();
    expect(
      informer
        .list()
        .map((o) => `${o.metadata.namespace}/${o.metadata.name}`)
        .sort(),
    ).toEqual([`${a}/page-1`, `${a}/page-3`, `${b}/page-0`, `${b}/page-2`, `${b}/page-4`]);
    expect(informer.get(a, 'page-1')?.metadata.namespace).toBe(a);
    expect(informer.get(b, 'page-1')).toBeUndefined();
    stop.abort();
    await informer.stopped();
  });

  it('keeps what transform keeps of what filter accepts', async () => {
    const ns = await namespace('informer-secrets');
    await api.create(CORE_SECRETS, ns, {
      metadata: { name: 'wanted' },
      type: 'Opaque',
      stringData: { client_secret: 's3cr3t' },
    });
    await api.create(CORE_SECRETS, ns, {
      metadata: { name: 'tls' },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': 'x', 'tls.key': 'y' },
    });
    const { informer, stop, start } = started<KubeObject>(CORE_SECRETS, {
      namespace: ns,
      filter: (s) => s.type === 'Opaque',
      transform: ({ data: _data, ...rest }) => rest,
    });
    const seen = record(informer);
    start();
    await informer.synced();
    expect(informer.list().map((s) => s.metadata.name)).toEqual(['wanted']);
    expect(informer.get(ns, 'wanted')?.data).toBeUndefined();
    expect(JSON.stringify(informer.list())).not.toContain(Buffer.from('s3cr3t').toString('base64'));

    // An object the filter stops accepting leaves; one it starts accepting enters.
    await api.delete(CORE_SECRETS, ns, 'wanted');
    await api.create(CORE_SECRETS, ns, { metadata: { name: 'wanted' }, type: 'example.com/other' });
    await api.create(CORE_SECRETS, ns, { metadata: { name: 'later' }, type: 'Opaque' });
    await eventually(() =>
      expect(seen.map((s) => `${s.type} ${s.name}`)).toEqual([
        'added wanted',
        'deleted wanted',
        'added later',
      ]),
    );
    stop.abort();
    await informer.stopped();
  });

  it('relists after 410 Gone and emits what changed while it was disconnected', async () => {
    const ns = await namespace('informer-gone');
    for (const name of ['kept', 'changed', 'removed']) {
      await api.create(CONFIGMAPS, ns, { metadata: { name }, data: { v: '1' } });
    }
    const gate = reconnectGate();
    const { events, log } = busLog();
    const { informer, stop, start } = started(CONFIGMAPS, {
      namespace: ns,
      events,
      name: 'configmaps/informer-gone',
      backoff: { sleep: gate.sleep, initialMs: 50, maxMs: 500 },
    });
    const seen = record(informer);
    start();
    await informer.synced();
    seen.length = 0;

    // Take the watch down and hold it down while the collection changes.
    gate.close();
    await cp.stopApiServer();
    await eventually(() => expect(gate.holding()).toBe(true));
    await cp.startApiServer();
    await api.patch(CONFIGMAPS, ns, 'changed', { data: { v: '2' } });
    await api.delete(CONFIGMAPS, ns, 'removed');
    await api.create(CONFIGMAPS, ns, { metadata: { name: 'created' }, data: { v: '1' } });
    // Compact etcd at its current revision: the informer's resourceVersion is now older than any the
    // server can watch from, so resuming the watch ends in 410 Gone.
    await compactEtcd(cp.etcdUrl);
    expect(seen).toEqual([]);
    expect(informer.get(ns, 'removed')).toBeDefined();

    gate.open();
    await eventually(() =>
      expect(seen.map((s) => `${s.type} ${s.name}`).sort()).toEqual([
        'added created',
        'deleted removed',
        'modified changed',
      ]),
    );
    expect(seen.find((s) => s.name === 'changed')).toMatchObject({
      data: { v: '2' },
      previousData: { v: '1' },
    });
    expect(seen.find((s) => s.name === 'removed')).toMatchObject({ data: { v: '1' } });
    expect(log).toContainEqual({
      name: 'watch.reconnected',
      resource: 'configmaps/informer-gone',
      reason: 'gone',
    });
    expect(log).toContainEqual({ name: 'watch.relisted', resource: 'configmaps/informer-gone' });
    expect(
      informer
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['changed', 'created', 'kept']);

    // And it watches again from the new list.
    await api.patch(CONFIGMAPS, ns, 'kept', { data: { v: '3' } });
    await eventually(() =>
      expect(seen.at(-1)).toMatchObject({ type: 'modified', name: 'kept', data: { v: '3' } }),
    );
    stop.abort();
    await informer.stopped();
  }, 60_000);

  it('serves its cache while the API server is down and resumes watching when it is back', async () => {
    const ns = await namespace('informer-outage');
    await api.create(CONFIGMAPS, ns, { metadata: { name: 'before' }, data: { v: '1' } });
    const { events, log } = busLog();
    const { informer, stop, start } = started(CONFIGMAPS, { namespace: ns, events });
    const seen = record(informer);
    start();
    await informer.synced();

    await cp.stopApiServer();
    await eventually(() => expect(log.length).toBeGreaterThan(1));
    expect(informer.get(ns, 'before')?.data).toEqual({ v: '1' });
    expect(informer.list()).toHaveLength(1);
    expect(log.every((e) => e.name === 'watch.reconnected' && e.resource === 'configmaps')).toBe(true);

    await cp.startApiServer();
    await api.create(CONFIGMAPS, ns, { metadata: { name: 'after' }, data: { v: '1' } });
    await eventually(() => expect(informer.get(ns, 'after')).toBeDefined());
    // Resuming (or relisting, if the restarted server could not resume) repeats nothing already seen.
    expect(seen.map((s) => `${s.type} ${s.name}`)).toEqual(['added before', 'added after']);
    stop.abort();
    await informer.stopped();
  }, 60_000);

  it('stops cleanly: after abort nothing more is seen, requested or scheduled', async () => {
    const ns = await namespace('informer-stop');
    const { events, log } = busLog();
    const { informer, stop, start } = started(CONFIGMAPS, { namespace: ns, events });
    const seen = record(informer);
    start();
    await informer.synced();
    expect(() => informer.start(stop.signal)).toThrow(/already started/);
    stop.abort();
    await informer.stopped();
    await api.create(CONFIGMAPS, ns, { metadata: { name: 'unseen' } });
    await new Promise((r) => setTimeout(r, 500));
    expect(seen).toEqual([]);
    expect(log).toEqual([]);
    expect(informer.get(ns, 'unseen')).toBeUndefined();
  });

  it('rejects synced() when stopped before its first list', async () => {
    const { informer, stop, start } = started(
      { group: 'nothing.example', version: 'v1', plural: 'absent', namespaced: true },
      { namespace: 'informer-none' },
    );
    start();
    await new Promise((r) => setTimeout(r, 300));
    expect(informer.hasSynced()).toBe(false);
    stop.abort();
    await expect(informer.synced()).rejects.toThrow(/stopped before its first list/);
    await informer.stopped();
  });
});

/** Compacts etcd at its current revision through its gRPC gateway (as the API server's compactor does). */
async function compactEtcd(etcdUrl: URL): Promise<void> {
  const range = await fetch(new URL('/v3/kv/range', etcdUrl), {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from('\0').toString('base64') }),
  });
  const revision = ((await range.json()) as { header: { revision: string } }).header.revision;
  const compaction = await fetch(new URL('/v3/kv/compaction', etcdUrl), {
    method: 'POST',
    body: JSON.stringify({ revision, physical: true }),
  });
  if (!compaction.ok)
    throw new Error(`etcd compaction failed: ${compaction.status} ${await compaction.text()}`);
}
