import type { EventBus } from '../events.ts';
import type { SigningKeys } from '../keys/signing-keys.ts';
import { clientCounts } from './client-counts.ts';
import { compile, type Compiled, type Resolution } from './compile.ts';
import type { DeclaredObject, ObjectKey, WorldInputs } from './objects.ts';
import type { Snapshot, SnapshotSource } from './snapshot.ts';

const NO_RESOLUTIONS: ReadonlyMap<ObjectKey, Resolution> = new Map();

/**
 * Holds the snapshot in force and swaps it atomically: a request that already read the
 * previous snapshot finishes with it, the next request sees the new one.
 */
export class Store implements SnapshotSource {
  #current: Snapshot;
  /** The last compile, whose per-object results the next one reuses for objects that did not change. */
  #last: Compiled | undefined;
  /** The objects the last compile read. */
  #declared: readonly DeclaredObject[] = [];
  readonly #events: EventBus;
  /** The problem last reported for each object that is not ready. */
  #reported = new Map<string, string>();

  constructor(keys: SigningKeys, events: EventBus) {
    this.#events = events;
    this.#current = compile({ objects: [], secrets: new Map(), namespaces: new Map() }, keys, 0).snapshot;
  }

  current(): Snapshot {
    return this.#current;
  }

  /** Every object's resolution as of the snapshot in force; empty before the first rebuild. */
  resolutions(): ReadonlyMap<ObjectKey, Resolution> {
    return this.#last?.resolutions ?? NO_RESOLUTIONS;
  }

  /** The declared objects as of the snapshot in force: what the management API lists. */
  declared(): readonly DeclaredObject[] {
    return this.#declared;
  }

  /** Compiles the world, swaps the snapshot in, and returns every object's resolution. */
  rebuild(inputs: WorldInputs, keys: SigningKeys = this.#current.keys): Compiled {
    const compiled = compile(inputs, keys, this.#current.version + 1, this.#last);
    this.#current = compiled.snapshot;
    this.#last = compiled;
    this.#declared = inputs.objects;
    let notReady = 0;
    let declaredClients = 0;
    const reported = new Map<string, string>();
    for (const [key, r] of compiled.resolutions) {
      if (r.kind === 'OAuthClient') declaredClients++;
      if (r.ready) continue;
      notReady++;
      const ready = r.conditions[0];
      const reason = ready?.reason ?? '';
      const message = ready?.message ?? '';
      reported.set(key, `${reason}\n${message}`);
      // Said once per problem, not on every rebuild: thousands of objects waiting would flood the log.
      if (this.#reported.get(key) !== `${reason}\n${message}`)
        this.#events.emit('object.notReady', { key, reason, message });
    }
    this.#reported = reported;
    const counts = clientCounts(compiled.snapshot.clients.values(), declaredClients);
    this.#events.emit('store.swapped', {
      version: compiled.snapshot.version,
      clients: compiled.snapshot.clients.size,
      clientsInEffect: counts.inEffect,
      clientsBlocked: counts.blocked,
      // The APIs declared: the built-in management API is not one of them.
      apis: compiled.snapshot.apis.size - (inputs.managementApi === undefined ? 0 : 1),
      notReady,
    });
    return compiled;
  }
}
