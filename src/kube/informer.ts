import { type Clock, systemClock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { BackoffOptions } from '../runtime/backoff.ts';
import { resourceName } from './paths.ts';
import { objectKey, relistEvents } from './relist.ts';
import {
  retryAfterClose,
  retryAfterError,
  watchErrorOf,
  type Retry,
  type RetryCounts,
} from './watch-retry.ts';
import { sleep } from '../timers.ts';
import {
  KubeApiError,
  type Informer,
  type InformerEvent,
  type KubeListWatch,
  type KubeObject,
  type ListOptions,
  type RawWatchEvent,
  type ResourceType,
} from './types.ts';

export interface InformerBackoff extends Partial<BackoffOptions> {
  /** A number in [0, 1) (default Math.random): jitters reconnect delays and watch timeouts. */
  random?: () => number;
  /** Waits `ms` or until `signal` aborts (default: a timer cleared on abort). Tests hold reconnects here. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface InformerOptions<T extends KubeObject> extends ListOptions {
  now?: Clock;
  /** Reconnect delays: 200 ms doubling to 30 s by default, jittered. */
  backoff?: InformerBackoff;
  /** Receives `watch.reconnected` and `watch.relisted`. */
  events?: EventBus;
  /** The `resource` of those events (default `plural` or `plural.group`). */
  name?: string;
  /**
   * Keeps only the objects it accepts. An object that stops being accepted leaves the cache with a `deleted`
   * event, one that starts being accepted enters with `added`, so handlers see the filtered collection.
   */
  filter?: (object: KubeObject) => boolean;
  /**
   * What the cache keeps of an accepted object, e.g. a Secret without the data it does not need, so memory
   * and heap dumps hold only what is used. It must keep `metadata` (name, namespace, uid, resourceVersion).
   */
  transform?: (object: KubeObject) => T;
  /** Items per list page (default 500). */
  pageSize?: number;
}

/** An informer that can also tell when it has fully stopped. */
export interface KubeInformer<T extends KubeObject> extends Informer<T> {
  /** Resolves once the signal given to start() aborted and no request or timer of this informer remains. */
  stopped(): Promise<void>;
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 200, maxMs: 30_000 };
// As client-go's reflector: watches end after a random 5-10 minutes, so load spreads over API servers.
const MIN_WATCH_TIMEOUT_SECONDS = 300;
// A watch that gets no answer this long after its timeout is treated as a dead connection.
const WATCH_DEADLINE_GRACE_MS = 30_000;
// client-go's "very short watch": closed within a second without an event means something is wrong.
const SHORT_WATCH_MS = 1_000;

/**
 * A cache of one collection kept current by list + watch: paginated list, then a watch from the list's
 * resourceVersion with bookmarks; on 410 Gone it lists again and emits the differences; on any other error
 * or a closed stream it reopens the watch from the last resourceVersion after a jittered backoff, serving
 * the cache meanwhile. Aborting the signal given to `start` stops it: no request, reconnect or timer remains.
 *
 * Handlers run synchronously in event order and must not throw: a throwing handler is reported as an
 * uncaught exception (as EventTarget does) and never stops the informer or the other handlers.
 *
 * @example
 * const secrets = createInformer(api, CORE_SECRETS, { namespace: 'billing', events });
 * secrets.on((e) => queue.add(`${e.object.metadata.namespace}/${e.object.metadata.name}`));
 * secrets.start(controller.signal);
 * await secrets.synced();
 */
export function createInformer<T extends KubeObject = KubeObject>(
  api: KubeListWatch,
  type: ResourceType,
  options: InformerOptions<T> = {},
): KubeInformer<T> {
  const informer = new ListWatchInformer<T>(api, type, settingsFrom(type, options));
  return {
    start: (signal) => informer.start(signal),
    synced: () => informer.synced(),
    hasSynced: () => informer.hasSynced(),
    get: (namespace, name) => informer.get(namespace, name),
    list: () => informer.list(),
    on: (handler) => informer.on(handler),
    stopped: () => informer.stopped(),
  };
}

/** The informer's options with every default filled in. */
interface InformerSettings<T extends KubeObject> {
  now: Clock;
  random: () => number;
  wait: (ms: number, signal: AbortSignal) => Promise<void>;
  backoff: BackoffOptions;
  /** The `resource` of the events it emits. */
  resource: string;
  /** Namespace and selectors of every list and watch. */
  selection: ListOptions;
  accept: (object: KubeObject) => boolean;
  keep: (object: KubeObject) => T;
  pageSize: number;
  events: EventBus | undefined;
}

function settingsFrom<T extends KubeObject>(
  type: ResourceType,
  options: InformerOptions<T>,
): InformerSettings<T> {
  return {
    now: options.now ?? systemClock,
    random: options.backoff?.random ?? Math.random,
    wait: options.backoff?.sleep ?? ((ms: number, signal: AbortSignal) => sleep(ms, signal)),
    backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
    resource: options.name ?? resourceName(type),
    selection: {
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
      ...(options.labelSelector !== undefined ? { labelSelector: options.labelSelector } : {}),
      ...(options.fieldSelector !== undefined ? { fieldSelector: options.fieldSelector } : {}),
    },
    accept: options.filter ?? (() => true),
    keep: options.transform ?? ((object: KubeObject) => object as T),
    pageSize: options.pageSize ?? 500,
    events: options.events,
  };
}

/**
 * The event a watch event makes of the cached `previous`, or undefined when the cache does not change. An
 * object the filter no longer accepts leaves the cache as if deleted.
 */
export function cacheChange<T extends KubeObject>(
  type: 'ADDED' | 'MODIFIED' | 'DELETED',
  raw: KubeObject,
  previous: T | undefined,
  accept: (object: KubeObject) => boolean,
  keep: (object: KubeObject) => T,
): InformerEvent<T> | undefined {
  if (type === 'DELETED' || !accept(raw)) {
    if (previous === undefined) return undefined;
    return { type: 'deleted', object: type === 'DELETED' ? keep(raw) : previous, previous };
  }
  const object = keep(raw);
  return previous === undefined ? { type: 'added', object } : { type: 'modified', object, previous };
}

/** The watch timeout asked of the server: a random 5-10 minutes. */
export function watchTimeoutSeconds(random: () => number): number {
  return Math.floor(MIN_WATCH_TIMEOUT_SECONDS * (1 + random()));
}

class ListWatchInformer<T extends KubeObject> {
  readonly #api: KubeListWatch;
  readonly #type: ResourceType;
  readonly #s: InformerSettings<T>;
  #cache = new Map<string, T>();
  #resourceVersion = '';
  #started = false;
  #isSynced = false;
  readonly #handlers = new Set<(event: InformerEvent<T>) => void>();
  readonly #sync = Promise.withResolvers<void>();
  #loop: Promise<void> = Promise.resolve();
  #counts: RetryCounts = { failures: 0, gones: 0 };

  constructor(api: KubeListWatch, type: ResourceType, settings: InformerSettings<T>) {
    this.#api = api;
    this.#type = type;
    this.#s = settings;
    // synced() may never be awaited; its rejection on an early stop must not count as unhandled.
    this.#sync.promise.catch(() => undefined);
  }

  start(signal: AbortSignal): void {
    if (this.#started) throw new Error(`the informer of ${this.#s.resource} was already started`);
    this.#started = true;
    this.#loop = this.#run(signal);
  }

  synced(): Promise<void> {
    return this.#sync.promise;
  }

  hasSynced(): boolean {
    return this.#isSynced;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#cache.get(objectKey(namespace, name));
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  stopped(): Promise<void> {
    return this.#loop;
  }

  on(handler: (event: InformerEvent<T>) => void): () => boolean {
    this.#handlers.add(handler);
    // A late subscriber sees the current cache as `added`, as it would have seen the first list.
    for (const object of this.#cache.values()) this.#deliver({ type: 'added', object }, [handler]);
    return () => this.#handlers.delete(handler);
  }

  #deliver(event: InformerEvent<T>, to: Iterable<(event: InformerEvent<T>) => void> = this.#handlers): void {
    for (const handler of [...to]) {
      try {
        handler(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Applies one watch event to the cache and tells the handlers. */
  #apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: KubeObject): void {
    const key = objectKey(raw.metadata.namespace, raw.metadata.name);
    const event = cacheChange(type, raw, this.#cache.get(key), this.#s.accept, this.#s.keep);
    if (event === undefined) return;
    if (event.type === 'deleted') this.#cache.delete(key);
    else this.#cache.set(key, event.object);
    this.#deliver(event);
  }

  /** Lists every page; a continue token that expired meanwhile (410) falls back to one full list. */
  async #listAll(signal: AbortSignal): Promise<{ items: T[]; resourceVersion: string }> {
    const { selection, pageSize, accept, keep } = this.#s;
    const items: T[] = [];
    let next: string | undefined;
    for (;;) {
      let page;
      try {
        const pageOptions = { ...selection, limit: pageSize, ...(next ? { continue: next } : {}) };
        page = await this.#api.list(this.#type, pageOptions, signal);
      } catch (error) {
        if (next === undefined || !(error instanceof KubeApiError) || error.status !== 410) throw error;
        page = await this.#api.list(this.#type, selection, signal);
        items.length = 0;
      }
      for (const raw of page.items) if (accept(raw)) items.push(keep(raw));
      if (!page.continue) return { items, resourceVersion: page.resourceVersion };
      next = page.continue;
    }
  }

  async #relist(signal: AbortSignal): Promise<void> {
    const listed = await this.#listAll(signal);
    if (signal.aborted) return;
    const events = relistEvents(this.#cache, listed.items);
    this.#cache = new Map(listed.items.map((o) => [objectKey(o.metadata.namespace, o.metadata.name), o]));
    this.#resourceVersion = listed.resourceVersion;
    for (const event of events) this.#deliver(event);
    if (this.#isSynced) {
      this.#s.events?.emit('watch.relisted', { resource: this.#s.resource });
    } else {
      this.#isSynced = true;
      this.#sync.resolve();
    }
  }

  /** Watches until the stream ends (returns whether it was healthy) or fails (throws). */
  async #watch(signal: AbortSignal): Promise<boolean> {
    const opened = this.#s.now();
    const timeoutSeconds = watchTimeoutSeconds(this.#s.random);
    const stream = new AbortController();
    const stop = () => stream.abort();
    signal.addEventListener('abort', stop, { once: true });
    // The signal may have aborted while the list was being applied: its event has fired already.
    if (signal.aborted) stop();
    const deadline = setTimeout(stop, timeoutSeconds * 1000 + WATCH_DEADLINE_GRACE_MS);
    try {
      const watchEvents = await this.#api.watch<T>(
        this.#type,
        { ...this.#s.selection, resourceVersion: this.#resourceVersion, timeoutSeconds },
        stream.signal,
      );
      const events = await this.#consume(watchEvents);
      if (stream.signal.aborted && !signal.aborted) throw new Error('the watch outlived its timeout');
      return events > 0 || this.#s.now() - opened >= SHORT_WATCH_MS;
    } finally {
      clearTimeout(deadline);
      signal.removeEventListener('abort', stop);
    }
  }

  /** Applies the events of one watch until it ends; answers how many it delivered. */
  async #consume(watchEvents: AsyncIterable<RawWatchEvent<T>>): Promise<number> {
    let events = 0;
    for await (const event of watchEvents) {
      if (event.type === 'ERROR') throw watchErrorOf(event.object);
      events++;
      this.#counts = { failures: 0, gones: 0 };
      const rv = event.object.metadata?.resourceVersion;
      if (event.type !== 'BOOKMARK') this.#apply(event.type, event.object);
      if (rv) this.#resourceVersion = rv;
    }
    return events;
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { backoff, random, resource } = this.#s;
    let mustList = true;
    while (!signal.aborted) {
      let retry: Retry;
      try {
        if (mustList) {
          await this.#relist(signal);
          mustList = false;
          this.#counts = { ...this.#counts, failures: 0 };
        }
        if (await this.#watch(signal)) {
          // The server ended a healthy watch on its timeout: routine, reopen at once.
          this.#counts = { failures: 0, gones: 0 };
          continue;
        }
        retry = retryAfterClose(this.#counts, backoff, random);
      } catch (error) {
        if (signal.aborted) break;
        retry = retryAfterError(error, mustList, this.#counts, backoff, random);
      }
      mustList = retry.relist;
      this.#counts = retry.counts;
      if (signal.aborted) break;
      this.#s.events?.emit('watch.reconnected', { resource, reason: retry.reason });
      await this.#s.wait(retry.delay, signal);
    }
    if (!this.#isSynced) {
      this.#sync.reject(new Error(`the informer of ${resource} stopped before its first list`));
    }
  }
}
