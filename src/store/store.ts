import type { EventBus } from '../events.ts';
import type { SigningKeys } from '../keys/signing-keys.ts';
import { compile, type Compiled } from './compile.ts';
import type { WorldInputs } from './objects.ts';
import type { Snapshot, SnapshotSource } from './snapshot.ts';

/**
 * Holds the snapshot in force and swaps it atomically: a request that already read the
 * previous snapshot finishes with it, the next request sees the new one.
 */
export class Store implements SnapshotSource {
  #current: Snapshot;
  readonly #events: EventBus;

  constructor(keys: SigningKeys, events: EventBus) {
    this.#events = events;
    this.#current = compile({ objects: [], secrets: new Map(), namespaces: new Map() }, keys, 0).snapshot;
  }

  current(): Snapshot {
    return this.#current;
  }

  /** Compiles the world, swaps the snapshot in, and returns every object's resolution. */
  rebuild(inputs: WorldInputs, keys: SigningKeys = this.#current.keys): Compiled {
    const compiled = compile(inputs, keys, this.#current.version + 1);
    this.#current = compiled.snapshot;
    let notReady = 0;
    for (const [key, r] of compiled.resolutions) {
      if (r.ready) continue;
      notReady++;
      const ready = r.conditions[0];
      this.#events.emit('object.notReady', {
        key,
        reason: ready?.reason ?? '',
        message: ready?.message ?? '',
      });
    }
    this.#events.emit('store.swapped', {
      version: compiled.snapshot.version,
      clients: compiled.snapshot.clients.size,
      apis: compiled.snapshot.apis.size,
      notReady,
    });
    return compiled;
  }
}
