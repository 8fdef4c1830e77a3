/**
 * In-memory implementations of the controller's interfaces (src/kube/types.ts, src/operator/recorder.ts, the
 * work queue): the caches as informers hold them once synced, and the writes recorded instead of sent.
 */

import { KIND_NAMES, type KindName } from '../../src/api/kinds.ts';
import type { Informer, InformerEvent, KubeApi, KubeObject, ResourceType } from '../../src/kube/types.ts';
import type { ReconcileQueue } from '../../src/operator/controller.ts';
import type { EventRecorder, Regarding } from '../../src/operator/recorder.ts';

const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

/** An informer's cache without list + watch; `put` and `remove` tell subscribers as a watch event would. */
export class MemoryInformer implements Informer<KubeObject> {
  readonly #cache = new Map<string, KubeObject>();
  readonly #handlers = new Set<(event: InformerEvent<KubeObject>) => void>();

  start(): void {}
  async synced(): Promise<void> {}
  hasSynced(): boolean {
    return true;
  }
  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#cache.get(keyOf(namespace, name));
  }
  list(): KubeObject[] {
    return [...this.#cache.values()];
  }
  on(handler: (event: InformerEvent<KubeObject>) => void): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }
  put(o: KubeObject): void {
    const key = keyOf(o.metadata.namespace, o.metadata.name);
    const previous = this.#cache.get(key);
    this.#cache.set(key, o);
    const event: InformerEvent<KubeObject> =
      previous === undefined ? { type: 'added', object: o } : { type: 'modified', object: o, previous };
    for (const h of this.#handlers) h(event);
  }
  remove(namespace: string, name: string): void {
    const previous = this.#cache.get(keyOf(namespace, name));
    if (previous === undefined) return;
    this.#cache.delete(keyOf(namespace, name));
    for (const h of this.#handlers) h({ type: 'deleted', object: previous, previous });
  }
}

export type MemoryInformers = Record<KindName | 'secrets' | 'namespaces', MemoryInformer>;

export function memoryInformers(): MemoryInformers {
  return {
    ...(Object.fromEntries(KIND_NAMES.map((k) => [k, new MemoryInformer()])) as Record<
      KindName,
      MemoryInformer
    >),
    secrets: new MemoryInformer(),
    namespaces: new MemoryInformer(),
  };
}

/** One call the controller made to the API server. */
export interface ApiCall {
  verb: 'get' | 'create' | 'patch';
  plural: string;
  namespace: string | undefined;
  name: string;
  body?: unknown;
  options?: { subresource?: 'status'; resourceVersion?: string };
}

/** The API server's objects in memory (`get` answers from `objects`), every call recorded in `calls`. */
export class MemoryKubeApi implements KubeApi {
  readonly calls: ApiCall[] = [];
  readonly objects = new Map<string, KubeObject>();

  async get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string) {
    this.calls.push({ verb: 'get', plural: type.plural, namespace, name });
    return this.objects.get(`${type.plural}/${keyOf(namespace, name)}`) as T | undefined;
  }
  async create<T extends KubeObject>(type: ResourceType, namespace: string | undefined, body: T): Promise<T> {
    this.calls.push({ verb: 'create', plural: type.plural, namespace, name: body.metadata.name, body });
    return body;
  }
  async patch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options?: { subresource?: 'status'; resourceVersion?: string },
  ): Promise<T> {
    this.calls.push({
      verb: 'patch',
      plural: type.plural,
      namespace,
      name,
      body,
      ...(options ? { options } : {}),
    });
    return { metadata: { name, namespace } } as T;
  }
  replace<T extends KubeObject>(): Promise<T> {
    return Promise.reject(new Error('the controller never replaces'));
  }
  delete(): Promise<void> {
    return Promise.reject(new Error('the controller never deletes'));
  }
  getRaw(): Promise<unknown> {
    return Promise.reject(new Error('the controller makes no raw call'));
  }
  /** The calls, as `verb plural namespace/name` (`/status` for a status write). */
  said(): string[] {
    return this.calls.map(
      (c) => `${c.verb} ${c.plural} ${c.namespace}/${c.name}${c.options?.subresource ? '/status' : ''}`,
    );
  }
}

/** One Event the controller recorded. */
export interface RecordedEvent {
  regarding: Regarding;
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

export class MemoryRecorder implements EventRecorder {
  readonly recorded: RecordedEvent[] = [];
  async record(
    regarding: Regarding,
    type: 'Normal' | 'Warning',
    reason: string,
    action: string,
    note: string,
  ) {
    this.recorded.push({ regarding, type, reason, action, note });
  }
  reasons(): string[] {
    return this.recorded.map((e) => e.reason);
  }
}

/** The work queue, reduced to what was added and what was scheduled for later. */
export class RecordingQueue implements ReconcileQueue {
  readonly added: string[] = [];
  readonly later: { key: string; ms: number }[] = [];
  add(key: string): void {
    this.added.push(key);
  }
  addAfter(key: string, ms: number): void {
    this.later.push({ key, ms });
  }
  clear(): void {
    this.added.length = 0;
    this.later.length = 0;
  }
}
