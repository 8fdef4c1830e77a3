/**
 * The operator's side of a declared world of N OAuthClients, in memory: the objects bench:reconcile creates
 * (one ResourceServer, N Roles, N clients each with a direct grant and its own Role) and their generated
 * Secrets, held by in-memory informers, with the real Controller and Store on top. Nothing here talks to a
 * cluster: a rebuild reads caches only, so this times exactly what one change costs the operator's CPU.
 */

import { KIND_NAMES, type KindName } from '../../src/api/kinds.ts';
import { EventBus } from '../../src/events.ts';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import type { SigningKeys } from '../../src/keys/signing-keys.ts';
import type { Informer, InformerEvent, KubeApi, KubeObject } from '../../src/kube/types.ts';
import { Controller, type ReconcileQueue } from '../../src/operator/controller.ts';
import { decideSecret } from '../../src/operator/client-secret-rotation.ts';
import { desiredStatus, kubeTime, type ObjectStatus } from '../../src/operator/status.ts';
import { declaredFrom } from '../../src/operator/world.ts';
import type { Compiled } from '../../src/store/compile.ts';
import type { DeclaredOAuthClient, WorldInputs } from '../../src/store/objects.ts';
import { objectKey } from '../../src/store/objects.ts';
import { newClientSecret } from '../../src/store/secrets.ts';
import { Store } from '../../src/store/store.ts';
import {
  clientName,
  clientObject,
  GRANT_SCOPE,
  resourceServerObject,
  roleName,
  roleObject,
  SCOPES,
  WORKLOAD_NAMESPACE,
} from '../lib/declared-objects.ts';

/** A change toggles the last of bench:reconcile's scopes on a client's grant. */
const TOGGLED_SCOPE = SCOPES[3];
const ISSUER = 'https://latchkey.bench.local';
const URLS = { issuer: ISSUER, tokenEndpoint: `${ISSUER}/oauth2/token` };
// A fixed clock: lastTransitionTime then never changes between rebuilds, as on an operator at rest.
const NOW = Date.parse('2026-01-01T00:00:00Z');

/** The declared objects of a world of n clients, as manifests: the ResourceServer, then Role i and client i. */
export function declaredObjects(n: number): KubeObject[] {
  const objects = [resourceServerObject()];
  for (let i = 0; i < n; i++) objects.push(roleObject(roleName(i)), clientObject(clientName(i), roleName(i)));
  return objects;
}

/** An informer's cache without list + watch: what the operator's informers hold once synced. */
class MemoryInformer implements Informer<KubeObject> {
  readonly #cache = new Map<string, KubeObject>();

  start(): void {}
  async synced(): Promise<void> {}
  hasSynced(): boolean {
    return true;
  }
  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#cache.get(`${namespace ?? ''}/${name}`);
  }
  list(): KubeObject[] {
    return [...this.#cache.values()];
  }
  on(_handler: (event: InformerEvent<KubeObject>) => void): () => void {
    return () => undefined;
  }
  put(o: KubeObject): void {
    this.#cache.set(`${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
  }
}

/** The operator's queue, reduced to which keys were added. */
class RecordingQueue implements ReconcileQueue {
  readonly added = new Set<string>();
  add(key: string): void {
    this.added.add(key);
  }
  addAfter(): void {}
}

/** The real Store, timing its rebuild and keeping what the controller handed it. */
class TimedStore extends Store {
  lastMs = 0;
  lastInputs: WorldInputs | undefined;
  lastCompiled: Compiled | undefined;

  override rebuild(inputs: WorldInputs, keys?: SigningKeys): Compiled {
    const started = performance.now();
    const compiled = super.rebuild(inputs, keys);
    this.lastMs = performance.now() - started;
    this.lastInputs = inputs;
    this.lastCompiled = compiled;
    return compiled;
  }
}

/** A rebuild only reads caches; a call to the API server would mean this measures something else. */
const noApi: KubeApi = new Proxy({} as KubeApi, {
  get: (_target, call) => () =>
    Promise.reject(new Error(`the bench world makes no API call (${String(call)})`)),
});

export interface OperatorWorld {
  n: number;
  controller: Controller;
  store: TimedStore;
  keys: SigningKeys;
  queues: Map<KindName, RecordingQueue>;
  informers: Record<KindName | 'secrets' | 'namespaces', MemoryInformer>;
  /** Keys of the objects the last rebuild enqueued. */
  enqueued(): string[];
  clearEnqueued(): void;
  /** Writes the status the store decided for an object, as the reconciler's status patch and its watch event would. */
  writeStatus(kind: KindName, name: string): void;
  /** Changes the spec of client i (toggles a scope of its grant), as `kubectl apply` would. */
  changeClient(i: number): void;
}

let resourceVersion = 0;
const nextResourceVersion = () => String(++resourceVersion);

function stored(o: KubeObject, uid: string): KubeObject {
  return {
    ...o,
    metadata: {
      ...o.metadata,
      uid,
      generation: 1,
      resourceVersion: nextResourceVersion(),
      creationTimestamp: kubeTime(NOW),
    },
  };
}

/**
 * A converged operator at rest with n clients: every object cached, every client's Secret generated, every
 * status written as the store decides it. Building it checks that a rebuild then enqueues nothing.
 */
export async function operatorWorld(n: number): Promise<OperatorWorld> {
  const keys = keySetOf(await generateSigningKeys());
  const events = new EventBus();
  const store = new TimedStore(keys, events);
  const informers = {
    ...(Object.fromEntries(KIND_NAMES.map((k) => [k, new MemoryInformer()])) as Record<
      KindName,
      MemoryInformer
    >),
    secrets: new MemoryInformer(),
    namespaces: new MemoryInformer(),
  };
  informers.namespaces.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: WORKLOAD_NAMESPACE } });
  let uid = 0;
  for (const o of declaredObjects(n)) {
    const kind = o.kind as KindName;
    const object = stored(o, `uid-${++uid}`);
    informers[kind].put(object);
    if (kind !== 'OAuthClient') continue;
    const client = declaredFrom('OAuthClient', object);
    if (!('spec' in client)) throw new Error(`${object.metadata.name}: ${client.message}`);
    const action = decideSecret({
      client: client as DeclaredOAuthClient,
      uid: object.metadata.uid ?? '',
      issuedBefore: false,
      existing: undefined,
      urls: URLS,
      newSecret: newClientSecret,
      now: NOW,
      // Every client of the scale world has an id of its own.
      holdsClientId: true,
    });
    if (action.kind !== 'create') throw new Error(`expected a Secret to create for ${object.metadata.name}`);
    informers.secrets.put({
      ...action.body,
      metadata: {
        ...action.body.metadata,
        uid: `uid-${++uid}`,
        resourceVersion: nextResourceVersion(),
        creationTimestamp: kubeTime(NOW),
      },
    });
  }

  const queues = new Map(KIND_NAMES.map((k) => [k, new RecordingQueue()]));
  const controller = new Controller({
    api: noApi,
    store,
    events,
    now: () => NOW,
    recorder: { record: async () => undefined },
    informers,
    urls: URLS,
    keys: () => keys,
    isLeader: () => true,
    checkConnection: () => Promise.reject(new Error('no Connection in the bench world')),
  });
  for (const [kind, queue] of queues) controller.setQueue(kind, queue);

  const writeStatus = (kind: KindName, name: string) => {
    const cached = informers[kind].get(WORKLOAD_NAMESPACE, name);
    const r = store.lastCompiled?.resolutions.get(objectKey(kind, WORKLOAD_NAMESPACE, name));
    if (cached === undefined || r === undefined) throw new Error(`${kind} ${name} is not in the world`);
    const status = desiredStatus(r, cached['status'] as ObjectStatus | undefined, NOW);
    informers[kind].put({
      ...cached,
      metadata: { ...cached.metadata, resourceVersion: nextResourceVersion() },
      status,
    });
  };
  const world: OperatorWorld = {
    n,
    controller,
    store,
    keys,
    queues,
    informers,
    enqueued: () => [...queues.values()].flatMap((q) => [...q.added]),
    clearEnqueued: () => {
      for (const q of queues.values()) q.added.clear();
    },
    writeStatus,
    changeClient(i) {
      const cached = informers.OAuthClient.get(WORKLOAD_NAMESPACE, clientName(i));
      if (cached === undefined) throw new Error(`no client ${i}`);
      const spec = cached['spec'] as { grants: { resourceServer: unknown; scopes: string[] }[] };
      const [grant] = spec.grants;
      if (grant === undefined) throw new Error(`client ${i} has no grant`);
      const scopes = grant.scopes.includes(TOGGLED_SCOPE) ? [GRANT_SCOPE] : [GRANT_SCOPE, TOGGLED_SCOPE];
      informers.OAuthClient.put({
        ...cached,
        metadata: {
          ...cached.metadata,
          generation: (cached.metadata.generation ?? 0) + 1,
          resourceVersion: nextResourceVersion(),
        },
        spec: { ...spec, grants: [{ ...grant, scopes }] },
      });
    },
  };

  controller.synced();
  const unready = [...(store.lastCompiled?.resolutions.values() ?? [])].filter((r) => !r.ready);
  if (unready.length > 0) {
    const r = unready[0];
    throw new Error(
      `${unready.length} objects are not Ready, e.g. ${r?.kind} ${r?.name}: ${r?.conditions[0]?.message}`,
    );
  }
  for (const r of store.lastCompiled?.resolutions.values() ?? []) writeStatus(r.kind, r.name);
  world.clearEnqueued();
  controller.rebuild();
  const stale = world.enqueued();
  if (stale.length > 0)
    throw new Error(`a converged world enqueued ${stale.length} objects, e.g. ${stale[0]}`);
  return world;
}
