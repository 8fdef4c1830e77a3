/**
 * The informer's reconnect policy, driven through a scripted KubeListWatch (our own interface): the delays
 * it waits are recorded instead of slept. What it does against a real API server is in
 * test/integration/kube-informer.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events.ts';
import { KubeConnectionError } from '../../src/kube/errors.ts';
import { createInformer } from '../../src/kube/informer.ts';
import {
  KubeApiError,
  type KubeListWatch,
  type KubeObject,
  type ListPage,
  type RawWatchEvent,
  type ResourceType,
} from '../../src/kube/types.ts';

const CONFIGMAPS: ResourceType = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
const cm = (name: string, rv: string): KubeObject => ({
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', uid: name, resourceVersion: rv },
});

type WatchStep = Error | RawWatchEvent<KubeObject>[];

/** Lists `items` and answers each watch with the next scripted step, then the abort of the test. */
function scripted(steps: WatchStep[], items: () => KubeObject[] = () => []) {
  const calls: string[] = [];
  const api: KubeListWatch = {
    list<T extends KubeObject>(): Promise<ListPage<T>> {
      calls.push('list');
      return Promise.resolve({ items: items() as T[], resourceVersion: '10' });
    },
    watch<T extends KubeObject>(_type: ResourceType, options: { resourceVersion: string }) {
      calls.push(`watch@${options.resourceVersion}`);
      const step = steps.shift();
      if (step instanceof Error) return Promise.reject(step);
      const sent = (step ?? []) as RawWatchEvent<T>[];
      async function* events() {
        yield* sent;
      }
      return Promise.resolve(events());
    },
  };
  return { api, calls };
}

/** Records the delays the informer asks to wait, aborting after `count` of them. */
function recordingSleep(stop: AbortController, count: number) {
  const delays: number[] = [];
  return {
    delays,
    sleep: (ms: number) => {
      delays.push(ms);
      if (delays.length >= count) stop.abort();
      return Promise.resolve();
    },
  };
}

describe('informer reconnects', () => {
  it('backs off exponentially from 200 ms up to 30 s while the API server is unreachable', async () => {
    const refused = () => new KubeConnectionError('GET /api/v1/configmaps: connect ECONNREFUSED');
    const { api } = scripted(Array.from({ length: 12 }, refused));
    const stop = new AbortController();
    const waits = recordingSleep(stop, 10);
    const events = new EventBus();
    const reasons: string[] = [];
    events.on('watch.reconnected', (e) => reasons.push(e.reason));
    const informer = createInformer(api, CONFIGMAPS, {
      events,
      backoff: { sleep: waits.sleep, random: () => 0 },
    });
    informer.start(stop.signal);
    await informer.stopped();
    expect(waits.delays).toEqual([200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000]);
    expect(reasons[0]).toBe('KubeConnectionError: GET /api/v1/configmaps: connect ECONNREFUSED');
  });

  it('starts over from the shortest delay once a watch delivers events again', async () => {
    const fail = () => new KubeConnectionError('reset');
    const bookmark: RawWatchEvent<KubeObject> = { type: 'BOOKMARK', object: cm('', '11') };
    const { api, calls } = scripted([fail(), fail(), [bookmark], fail()]);
    const stop = new AbortController();
    const waits = recordingSleep(stop, 4);
    const informer = createInformer(api, CONFIGMAPS, { backoff: { sleep: waits.sleep, random: () => 0 } });
    informer.start(stop.signal);
    await informer.stopped();
    // A stream that delivered something and ended is reopened at once, from the bookmark's resourceVersion;
    // the next failure waits the shortest delay again.
    expect(waits.delays).toEqual([200, 400, 200, 400]);
    expect(calls).toEqual(['list', 'watch@10', 'watch@10', 'watch@10', 'watch@11', 'watch@11']);
  });

  it('relists at once on 410 Gone, but backs off when 410 follows every list', async () => {
    const gone = () => new KubeApiError(410, 'Expired', 'too old resource version: 10 (20)');
    const { api, calls } = scripted([gone(), gone(), gone(), gone()]);
    const stop = new AbortController();
    const waits = recordingSleep(stop, 4);
    const informer = createInformer(api, CONFIGMAPS, { backoff: { sleep: waits.sleep, random: () => 0 } });
    informer.start(stop.signal);
    await informer.stopped();
    expect(waits.delays).toEqual([0, 200, 400, 800]);
    expect(calls.filter((c) => c === 'list')).toHaveLength(4);
  });

  it('treats an ERROR event with code 410 as 410 Gone, relists and reports the differences', async () => {
    let items = [cm('a', '5'), cm('b', '5')];
    const expired: RawWatchEvent<KubeObject> = {
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' },
    };
    const { api, calls } = scripted([[expired], []], () => items);
    const stop = new AbortController();
    const delays: number[] = [];
    const events = new EventBus();
    const bus: string[] = [];
    events.on('watch.reconnected', (e) => bus.push(`reconnected ${e.resource} ${e.reason}`));
    events.on('watch.relisted', (e) => bus.push(`relisted ${e.resource}`));
    const informer = createInformer(api, CONFIGMAPS, {
      events,
      backoff: {
        random: () => 0,
        sleep: (ms) => {
          delays.push(ms);
          // While the watch is down, a changes, b goes, c comes.
          if (delays.length === 1) items = [cm('a', '12'), cm('c', '12')];
          else stop.abort();
          return Promise.resolve();
        },
      },
    });
    const seen: string[] = [];
    informer.on((e) => seen.push(`${e.type} ${e.object.metadata.name}`));
    informer.start(stop.signal);
    await informer.stopped();
    expect(seen).toEqual(['added a', 'added b', 'modified a', 'added c', 'deleted b']);
    expect(calls).toEqual(['list', 'watch@10', 'list', 'watch@10']);
    expect(delays[0]).toBe(0);
    expect(bus.slice(0, 2)).toEqual(['reconnected configmaps gone', 'relisted configmaps']);
    expect(informer.list().map((o) => o.metadata.name)).toEqual(['a', 'c']);
  });

  it('leaves no request or timer running after abort', async () => {
    const { api, calls } = scripted([]);
    const stop = new AbortController();
    const informer = createInformer(api, CONFIGMAPS, { backoff: { random: () => 0 } });
    informer.start(stop.signal);
    await informer.synced();
    // The scripted watch ended at once (a "very short watch"): the informer now waits 200 ms on a timer.
    await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    await informer.stopped();
    const before = calls.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(calls.length).toBe(before);
  });
});
