import { type Clock, systemClock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import { backoffDelay, type BackoffOptions } from '../runtime/backoff.ts';
import { resourceName } from './paths.ts';
import { objectKey, relistEvents } from './relist.ts';
import { sleep } from '../timers.ts';
import {
  KubeApiError,
  type Informer,
  type InformerEvent,
  type KubeListWatch,
  type KubeObject,
  type ListOptions,
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
const MAX_REASON = 300;

class GoneError extends Error {}

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
  const now = options.now ?? systemClock;
  const random = options.backoff?.random ?? Math.random;
  const wait = options.backoff?.sleep ?? ((ms: number, signal: AbortSignal) => sleep(ms, signal));
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
  const resource = options.name ?? resourceName(type);
  const selection: ListOptions = {
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    ...(options.labelSelector !== undefined ? { labelSelector: options.labelSelector } : {}),
    ...(options.fieldSelector !== undefined ? { fieldSelector: options.fieldSelector } : {}),
  };
  const accept = options.filter ?? (() => true);
  const keep = options.transform ?? ((object: KubeObject) => object as T);

  let cache = new Map<string, T>();
  let resourceVersion = '';
  let started = false;
  let isSynced = false;
  const handlers = new Set<(event: InformerEvent<T>) => void>();
  const sync = Promise.withResolvers<void>();
  // synced() may never be awaited; its rejection on an early stop must not count as unhandled.
  sync.promise.catch(() => undefined);
  let loop: Promise<void> = Promise.resolve();
  // Failed attempts (and 410s) in a row; a watch that delivers anything proves things work again.
  let failures = 0;
  let gones = 0;

  const deliver = (event: InformerEvent<T>, to: Iterable<(event: InformerEvent<T>) => void> = handlers) => {
    for (const handler of [...to]) {
      try {
        handler(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  };

  /** Applies one watch event to the cache and tells the handlers. */
  const apply = (type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: KubeObject) => {
    const key = objectKey(raw.metadata.namespace, raw.metadata.name);
    const previous = cache.get(key);
    if (type === 'DELETED' || !accept(raw)) {
      if (previous === undefined) return;
      cache.delete(key);
      deliver({ type: 'deleted', object: type === 'DELETED' ? keep(raw) : previous, previous });
      return;
    }
    const object = keep(raw);
    cache.set(key, object);
    deliver(previous === undefined ? { type: 'added', object } : { type: 'modified', object, previous });
  };

  /** Lists every page; a continue token that expired meanwhile (410) falls back to one full list. */
  const listAll = async (signal: AbortSignal): Promise<{ items: T[]; resourceVersion: string }> => {
    const items: T[] = [];
    let next: string | undefined;
    for (;;) {
      let page;
      try {
        page = await api.list(
          type,
          { ...selection, limit: options.pageSize ?? 500, ...(next ? { continue: next } : {}) },
          signal,
        );
      } catch (error) {
        if (next === undefined || !(error instanceof KubeApiError) || error.status !== 410) throw error;
        page = await api.list(type, selection, signal);
        items.length = 0;
      }
      for (const raw of page.items) if (accept(raw)) items.push(keep(raw));
      if (!page.continue) return { items, resourceVersion: page.resourceVersion };
      next = page.continue;
    }
  };

  const relist = async (signal: AbortSignal): Promise<void> => {
    const listed = await listAll(signal);
    if (signal.aborted) return;
    const events = relistEvents(cache, listed.items);
    cache = new Map(listed.items.map((o) => [objectKey(o.metadata.namespace, o.metadata.name), o]));
    resourceVersion = listed.resourceVersion;
    for (const event of events) deliver(event);
    if (isSynced) {
      options.events?.emit('watch.relisted', { resource });
    } else {
      isSynced = true;
      sync.resolve();
    }
  };

  /** Watches until the stream ends (returns whether it was healthy) or fails (throws). */
  const watch = async (signal: AbortSignal): Promise<boolean> => {
    const opened = now();
    const timeoutSeconds = Math.floor(MIN_WATCH_TIMEOUT_SECONDS * (1 + random()));
    const stream = new AbortController();
    const stop = () => stream.abort();
    signal.addEventListener('abort', stop, { once: true });
    // The signal may have aborted while the list was being applied: its event has fired already.
    if (signal.aborted) stop();
    const deadline = setTimeout(stop, timeoutSeconds * 1000 + WATCH_DEADLINE_GRACE_MS);
    let events = 0;
    try {
      const watchEvents = await api.watch<T>(
        type,
        { ...selection, resourceVersion, timeoutSeconds },
        stream.signal,
      );
      for await (const event of watchEvents) {
        if (event.type === 'ERROR') {
          const status = event.object;
          if (status.code === 410) throw new GoneError(status.message ?? 'Gone');
          throw new KubeApiError(status.code ?? 500, status.reason ?? 'Unknown', status.message ?? '');
        }
        events++;
        failures = 0;
        gones = 0;
        const rv = event.object.metadata?.resourceVersion;
        if (event.type !== 'BOOKMARK') apply(event.type, event.object);
        if (rv) resourceVersion = rv;
      }
      if (stream.signal.aborted && !signal.aborted) throw new Error('the watch outlived its timeout');
      return events > 0 || now() - opened >= SHORT_WATCH_MS;
    } finally {
      clearTimeout(deadline);
      signal.removeEventListener('abort', stop);
    }
  };

  const run = async (signal: AbortSignal): Promise<void> => {
    let mustList = true;
    while (!signal.aborted) {
      let reason: string;
      let delay: number;
      try {
        if (mustList) {
          await relist(signal);
          mustList = false;
          failures = 0;
        }
        if (await watch(signal)) {
          // The server ended a healthy watch on its timeout: routine, reopen at once.
          failures = 0;
          gones = 0;
          continue;
        }
        reason = 'closed';
        delay = backoffDelay(failures++, backoff, random);
      } catch (error) {
        if (signal.aborted) break;
        const gone = error instanceof GoneError || (error instanceof KubeApiError && error.status === 410);
        if (gone && !mustList) {
          // The server no longer has our resourceVersion: only a new list can tell what we missed. At once
          // the first time; a server that answers 410 again right after a list gets backoff, not a hot loop.
          mustList = true;
          reason = 'gone';
          delay = gones++ === 0 ? 0 : backoffDelay(gones - 2, backoff, random);
        } else {
          reason = describe(error);
          delay = backoffDelay(failures++, backoff, random);
        }
      }
      if (signal.aborted) break;
      options.events?.emit('watch.reconnected', { resource, reason });
      await wait(delay, signal);
    }
    if (!isSynced) sync.reject(new Error(`the informer of ${resource} stopped before its first list`));
  };

  return {
    start(signal) {
      if (started) throw new Error(`the informer of ${resource} was already started`);
      started = true;
      loop = run(signal);
    },
    synced: () => sync.promise,
    hasSynced: () => isSynced,
    get: (namespace, name) => cache.get(objectKey(namespace, name)),
    list: () => [...cache.values()],
    on(handler) {
      handlers.add(handler);
      // A late subscriber sees the current cache as `added`, as it would have seen the first list.
      for (const object of cache.values()) deliver({ type: 'added', object }, [handler]);
      return () => handlers.delete(handler);
    },
    stopped: () => loop,
  };
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}
