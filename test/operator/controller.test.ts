import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/common.ts';
import { KIND_NAMES } from '../../src/api/kinds.ts';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import { keySetOf } from '../../src/keys/generate.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { Controller } from '../../src/operator/controller.ts';
import { STUB_ANNOTATION } from '../../src/operator/referenced-secrets.ts';
import { kubeTime } from '../../src/operator/status.ts';
import type { ConnectionCheck } from '../../src/store/objects.ts';
import { Store } from '../../src/store/store.ts';
import {
  MemoryKubeApi,
  MemoryRecorder,
  RecordingQueue,
  memoryInformers,
  type MemoryInformers,
} from './fakes.ts';

/** A public key the issuer publishes: a Connection whose check found none is trusted for nothing. */
const ISSUER_KEY = {
  ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
  kid: 'k1',
  alg: 'ES256',
  use: 'sig',
};
const NOW = Date.parse('2026-11-24T10:00:00Z');
const NS = 'billing';
const URLS = { issuer: 'https://latchkey.test', tokenEndpoint: 'https://latchkey.test/oauth2/token' };

let version = 0;
function stored(
  kind: string,
  name: string,
  spec: Record<string, unknown>,
  extra: Partial<KubeObject> = {},
): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${name}`,
      generation: 1,
      resourceVersion: String(++version),
      creationTimestamp: kubeTime(NOW - 60_000),
    },
    spec,
    ...extra,
  };
}
const client = (name: string, secret: Record<string, unknown> = {}) =>
  stored('OAuthClient', name, {
    grantTypes: ['client_credentials'],
    ...(Object.keys(secret).length ? { secret } : {}),
  });
const connection = (name: string) =>
  stored('Connection', name, { type: 'oidc', issuer: 'https://sso.example.com', clientId: 'latchkey' });

interface Harness {
  controller: Controller;
  informers: MemoryInformers;
  api: MemoryKubeApi;
  recorder: MemoryRecorder;
  queues: Map<string, RecordingQueue>;
  store: Store;
  bus: { [K in keyof LatchkeyEvents]?: LatchkeyEvents[K][] };
  leader: { is: boolean };
  checks: string[];
  answer: { check: ConnectionCheck };
  added(): string[];
}

const controllers: Controller[] = [];
afterEach(() => {
  for (const c of controllers.splice(0)) c.stop();
});

function harness(objects: KubeObject[], options: { leader?: boolean } = {}): Harness {
  const informers = memoryInformers();
  informers.namespaces.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  for (const o of objects) informers[o.kind as (typeof KIND_NAMES)[number]].put(o);
  const api = new MemoryKubeApi();
  const recorder = new MemoryRecorder();
  const events = new EventBus();
  const bus: Harness['bus'] = {};
  events.on('secret.issued', (e) => (bus['secret.issued'] ??= []).push(e));
  const store = new Store(keySetOf([]), events);
  const leader = { is: options.leader ?? true };
  const checks: string[] = [];
  const answer: Harness['answer'] = {
    check: {
      ok: true,
      issuer: 'https://sso.example.com',
      jwksUri: 'https://sso.example.com/jwks',
      keys: 1,
      jwks: [ISSUER_KEY],
    },
  };
  const controller = new Controller({
    api,
    store,
    events,
    now: () => NOW,
    recorder,
    informers,
    urls: URLS,
    keys: () => keySetOf([]),
    isLeader: () => leader.is,
    checkConnection: async (_spec, label) => {
      checks.push(label);
      return answer.check;
    },
  });
  controllers.push(controller);
  const queues = new Map(KIND_NAMES.map((k) => [k as string, new RecordingQueue()]));
  for (const kind of KIND_NAMES) controller.setQueue(kind, queues.get(kind) as RecordingQueue);
  controller.watch();
  return {
    controller,
    informers,
    api,
    recorder,
    queues,
    store,
    bus,
    leader,
    checks,
    answer,
    added: () => [...queues.values()].flatMap((q) => q.added),
  };
}

/** What the API server would send back through the watches after the controller's writes. */
function echoWrites(h: Harness): void {
  for (const call of h.api.calls.splice(0)) {
    if (call.verb === 'create' && call.plural === 'secrets') {
      const body = call.body as KubeObject;
      h.informers.secrets.put({
        ...body,
        metadata: {
          ...body.metadata,
          uid: `uid-${body.metadata.name}`,
          resourceVersion: String(++version),
          creationTimestamp: kubeTime(NOW),
        },
      });
    }
    if (call.verb === 'patch' && call.options?.subresource === 'status') {
      const kind = KIND_NAMES.find((k) => `${k.toLowerCase()}s` === call.plural) ?? 'OAuthClient';
      const cached = h.informers[kind].get(call.namespace, call.name) as KubeObject;
      const patch = (call.body as { status: Record<string, unknown> }).status;
      const status = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== null));
      h.informers[kind].put({
        ...cached,
        metadata: { ...cached.metadata, resourceVersion: String(++version) },
        status,
      });
    }
  }
}

/** Reconciles what was enqueued and echoes the writes, until nothing is enqueued. */
async function converge(h: Harness): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const keys = [...new Set(h.added())];
    for (const q of h.queues.values()) q.clear();
    if (keys.length === 0) return;
    for (const key of keys) await h.controller.reconcile(key);
    echoWrites(h);
    h.controller.rebuild();
  }
  throw new Error(`never converged: ${h.added().join(', ')}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the controller, on the leader', () => {
  it('gives a new client its Secret with one SecretIssued Event, and no Warning while it waits for it', async () => {
    const h = harness([client('worker')]);
    h.controller.synced();
    expect(h.added()).toEqual(['OAuthClient/billing/worker']);
    await h.controller.reconcile('OAuthClient/billing/worker');
    expect(h.api.said()).toEqual([
      'create secrets billing/worker-oauth',
      'patch oauthclients billing/worker/status',
    ]);
    const secret = h.api.calls[0]?.body as KubeObject;
    expect(secret.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'OAuthClient', name: 'worker', uid: 'uid-worker', controller: true }),
    ]);
    expect(h.recorder.reasons()).toEqual(['SecretIssued']);
    expect(h.bus['secret.issued']).toEqual([
      { namespace: NS, name: 'worker-oauth', clientId: 'worker', reason: 'created' },
    ]);
    echoWrites(h);
    h.controller.rebuild();
    await converge(h);
    const status = h.informers.OAuthClient.get(NS, 'worker')?.['status'] as {
      conditions: { type: string; status: string }[];
    };
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(h.recorder.reasons()).toEqual(['SecretIssued']);
  });

  it('writes nothing once status and Secret are as decided, and a rebuild then enqueues nothing', async () => {
    const h = harness([client('worker'), stored('Role', 'reader', { permissions: [] })]);
    h.controller.synced();
    await converge(h);
    h.controller.enqueueStale();
    expect(h.added()).toEqual([]);
    await h.controller.reconcile('OAuthClient/billing/worker');
    await h.controller.reconcile('Role/billing/reader');
    expect(h.api.calls).toEqual([]);
  });

  it('records a Secret that belongs to someone else once per distinct problem, and never touches it', async () => {
    const h = harness([client('worker')]);
    h.informers.secrets.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'worker-oauth',
        namespace: NS,
        resourceVersion: '7',
        labels: { 'app.kubernetes.io/managed-by': 'latchkey' },
      },
      data: {},
    });
    h.controller.synced();
    await h.controller.reconcile('OAuthClient/billing/worker');
    await h.controller.reconcile('OAuthClient/billing/worker');
    expect(h.api.said().filter((c) => c.includes('secrets'))).toEqual([]);
    expect(h.recorder.recorded.filter((e) => e.reason === 'SecretConflict')).toEqual([
      expect.objectContaining({
        type: 'Warning',
        note: 'Secret billing/worker-oauth belongs to another owner',
      }),
    ]);
  });

  it('puts the next scheduled rotation on the queue at its time, a far one at most a day ahead', async () => {
    const h = harness([
      client('hourly', { rotation: { interval: '2h' } }),
      client('monthly', { rotation: { interval: '720h' } }),
    ]);
    h.controller.synced();
    await converge(h);
    for (const q of h.queues.values()) q.clear();
    h.controller.enqueueStale();
    expect(h.queues.get('OAuthClient')?.later).toEqual([
      { key: 'OAuthClient/billing/hourly', ms: 2 * 3_600_000 },
      { key: 'OAuthClient/billing/monthly', ms: 86_400_000 },
    ]);
    expect(h.added()).toEqual([]);
  });

  it('re-checks only the object when its own status write comes back, and rebuilds after a spec change', async () => {
    const h = harness([client('worker')]);
    h.controller.synced();
    await converge(h);
    await sleep(60);
    const snapshot = h.store.current();
    const cached = h.informers.OAuthClient.get(NS, 'worker') as KubeObject;
    h.informers.OAuthClient.put({
      ...cached,
      metadata: { ...cached.metadata, resourceVersion: String(++version) },
      status: {},
    });
    expect(h.added()).toEqual(['OAuthClient/billing/worker']);
    await sleep(60);
    expect(h.store.current()).toBe(snapshot);
    h.informers.OAuthClient.put({
      ...cached,
      metadata: { ...cached.metadata, generation: 2, resourceVersion: String(++version) },
      spec: { ...(cached['spec'] as object), displayName: 'Worker' },
    });
    await sleep(60);
    expect(h.store.current()).not.toBe(snapshot);
  });

  it('reads a referenced Secret the informer keeps as a stub once, with its data, and compiles it', async () => {
    const given = { name: 'given', source: 'Existing' };
    const h = harness([client('worker', given)]);
    const stub = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'given', namespace: NS, resourceVersion: '9' },
    };
    h.informers.secrets.put(h.controller.secretFilter(stub));
    expect(h.informers.secrets.get(NS, 'given')?.metadata.annotations?.[STUB_ANNOTATION]).toBe('true');
    h.api.objects.set(`secrets/${NS}/given`, {
      ...stub,
      data: { client_secret: Buffer.from('s'.repeat(43)).toString('base64') },
    });
    h.controller.synced();
    expect(h.api.said()).toEqual(['get secrets billing/given']);
    await sleep(60);
    h.api.calls.length = 0;
    await converge(h);
    const status = h.informers.OAuthClient.get(NS, 'worker')?.['status'] as {
      conditions: { type: string; status: string }[];
    };
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(h.api.said().filter((c) => c.startsWith('get'))).toEqual([]);
    // Now referenced, the informer keeps it whole.
    expect(h.controller.secretFilter({ ...stub, data: {} })).toEqual({ ...stub, data: {} });
  });

  it('keeps unrelated Secrets as stubs without their data, and its own whole', () => {
    const h = harness([]);
    const other = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: NS },
      data: { password: 'cA==' },
    };
    expect(h.controller.secretFilter(other)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: NS, annotations: { [STUB_ANNOTATION]: 'true' } },
    });
    const own = {
      ...other,
      metadata: { ...other.metadata, labels: { 'app.kubernetes.io/managed-by': 'latchkey' } },
    };
    expect(h.controller.secretFilter(own)).toBe(own);
  });
});

describe('the controller and Connections', () => {
  it('checks a Connection again after the refresh interval, and a failure throws while the last good keys stay', async () => {
    const h = harness([connection('corp')]);
    h.controller.synced();
    expect(h.added()).toEqual(['Connection/billing/corp']);
    expect(await h.controller.reconcile('Connection/billing/corp')).toEqual({ requeueAfterMs: 3_600_000 });
    expect(h.checks).toEqual(['Connection/billing/corp']);
    expect(h.store.current().connectionsByIssuer.get('https://sso.example.com')).toEqual([
      expect.objectContaining({ namespace: NS, name: 'corp' }),
    ]);
    h.answer.check = {
      ok: false,
      reason: 'DiscoveryFailed',
      message: 'the issuer did not answer',
    } as ConnectionCheck;
    await expect(h.controller.reconcile('Connection/billing/corp')).rejects.toThrow(
      'Connection billing/corp: the issuer did not answer',
    );
    expect(h.store.current().connectionsByIssuer.get('https://sso.example.com')).toEqual([
      expect.objectContaining({ namespace: NS, name: 'corp' }),
    ]);
  });
});

describe('the controller on a follower', () => {
  it('writes nothing and only checks Connections it has not checked', async () => {
    const h = harness([client('worker'), connection('corp')], { leader: false });
    h.controller.synced();
    expect(h.added()).toEqual(['Connection/billing/corp']);
    expect(await h.controller.reconcile('OAuthClient/billing/worker')).toBeUndefined();
    expect(await h.controller.reconcile('Connection/billing/corp')).toEqual({ requeueAfterMs: 3_600_000 });
    expect(h.api.calls).toEqual([]);
    expect(h.recorder.recorded).toEqual([]);
    for (const q of h.queues.values()) q.clear();
    h.controller.rebuild();
    expect(h.added()).toEqual([]);
  });

  it('catches up with everything once it leads', async () => {
    const h = harness([client('worker')], { leader: false });
    h.controller.synced();
    h.leader.is = true;
    h.controller.enqueueStale();
    expect(h.added()).toEqual(['OAuthClient/billing/worker']);
  });
});
