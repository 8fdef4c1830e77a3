import { isDeepStrictEqual } from 'node:util';
import { KIND_NAMES, type KindName } from '../api/kinds.ts';
import type { Clock } from '../clock.ts';
import type { AddressPolicy } from '../outbound/address-policy.ts';
import type { EventBus } from '../events.ts';
import type { SigningKeys } from '../keys/signing-keys.ts';
import type { KubeApi, KubeObject } from '../kube/types.ts';
import type { Resolution } from '../store/compile.ts';
import { secretNameOf } from '../store/names.ts';
import type {
  ConnectionCheck,
  DeclaredConnection,
  DeclaredOAuthClient,
  ObjectKey,
  SecretData,
  WorldInputs,
} from '../store/objects.ts';
import { objectKey } from '../store/objects.ts';
import type { Store } from '../store/store.ts';
import { ClientSecretWriter } from './client-secret-apply.ts';
import { clientSecretStep, type ClientSecretStep } from './client-secret-step.ts';
import { ConnectionChecks } from './connection-checks.ts';
import { DeclaredCache } from './declared-cache.ts';
import { gatherWorld, type WorldInformers } from './gather-world.ts';
import { changedSecrets, keysToRecheck } from './recheck-after-rebuild.ts';
import type { EventRecorder } from './recorder.ts';
import { ReferencedSecrets } from './referenced-secrets.ts';
import { isStale } from './staleness.ts';
import { waitsForOwnSecret, type ObjectStatus } from './status.ts';
import { writeStatus } from './status-write.ts';

/** The queue each kind's reconciler runs on (see src/runtime/work-queue.ts). */
export interface ReconcileQueue {
  add(key: string): void;
  addAfter(key: string, ms: number): void;
}

export interface ControllerDeps {
  api: KubeApi;
  store: Store;
  events: EventBus;
  now: Clock;
  recorder: EventRecorder;
  /** One informer per kind (covering every watched namespace), plus Secrets and Namespaces. */
  informers: WorldInformers;
  urls: { issuer: string; tokenEndpoint: string };
  /** The signing keys in force (they change when the key Secret does). */
  keys: () => SigningKeys;
  isLeader: () => boolean;
  /** `connection` names it (`Connection/<namespace>/<name>`) for the log of what the network said. */
  checkConnection: (spec: DeclaredConnection['spec'], connection: string) => Promise<ConnectionCheck>;
  /** Which hosts a client's `jwksUri` may name, for its condition; the token server's policy. */
  addressPolicy?: AddressPolicy;
  /** How often a verified Connection is checked again. */
  connectionRefreshMs?: number;
  /** The built-in management API: the operator's namespace and `<issuer>/api/v1`. */
  managementApi?: WorldInputs['managementApi'];
}

/** Whether an update touches what the store compiles (spec, labels, annotations), not just status. */
function declarationChanged(before: KubeObject, after: KubeObject): boolean {
  const a = before.metadata;
  const b = after.metadata;
  return (
    a.generation !== b.generation ||
    !isDeepStrictEqual(a.labels ?? {}, b.labels ?? {}) ||
    !isDeepStrictEqual(a.annotations ?? {}, b.annotations ?? {}) ||
    a.deletionTimestamp !== b.deletionTimestamp
  );
}

/** Delay that coalesces a burst of watch events into one store rebuild. */
const REBUILD_DELAY_MS = 20;

/**
 * Keeps the store in step with the cluster and, on the leader, the cluster in step with the store:
 * watch events → rebuild the snapshot → enqueue every object whose status or Secret is out of date →
 * reconcile it. Each step is gather (gather-world.ts, client-secret-step.ts) → decide (staleness.ts,
 * client-secret-rotation.ts, status.ts) → apply (client-secret-apply.ts, status-write.ts).
 */
export class Controller {
  readonly #deps: ControllerDeps;
  readonly #queues = new Map<KindName, ReconcileQueue>();
  readonly #declared = new DeclaredCache();
  readonly #secrets: ReferencedSecrets;
  readonly #checks: ConnectionChecks;
  readonly #secretWriter: ClientSecretWriter;
  #resolutions: ReadonlyMap<ObjectKey, Resolution> = new Map();
  /** The decoded Secrets the last rebuild compiled from. */
  #compiledSecrets: ReadonlyMap<string, SecretData> = new Map();
  /**
   * Whether every object was checked, as the leader, against the last rebuild's caches and decisions. Only then
   * can the next rebuild check just what changed since; otherwise (the first rebuild, one made as a follower,
   * one that failed) it checks all.
   */
  #checkedAsLeader = false;
  /** How long the last rebuild took; the next one waits at least twice that, so rebuilds never take over. */
  #lastRebuildMs = 0;
  /** When the last rebuild ended: an operator that has been idle since then rebuilds after the short delay. */
  #lastRebuildEnd = 0;
  #timer: NodeJS.Timeout | undefined;
  #synced = false;

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
    this.#secrets = new ReferencedSecrets(deps.api, () => this.scheduleRebuild());
    this.#checks = new ConnectionChecks({
      check: deps.checkConnection,
      changed: () => this.rebuild(),
      ...(deps.connectionRefreshMs !== undefined ? { refreshMs: deps.connectionRefreshMs } : {}),
    });
    this.#secretWriter = new ClientSecretWriter(deps);
  }

  setQueue(kind: KindName, queue: ReconcileQueue): void {
    this.#queues.set(kind, queue);
  }

  /** Subscribes to the informers; call before starting them. */
  watch(): void {
    const schedule = () => this.scheduleRebuild();
    for (const kind of KIND_NAMES) {
      this.#deps.informers[kind].on((e) => {
        // Our own status writes come back as watch events; they change nothing the store compiles,
        // so they only re-check that one object instead of rebuilding the world.
        if (e.type === 'modified' && e.previous && !declarationChanged(e.previous, e.object)) {
          if (this.#synced && this.#deps.isLeader()) this.#enqueueIfStale(kind, e.object);
          return;
        }
        schedule();
      });
    }
    this.#deps.informers.secrets.on(schedule);
    this.#deps.informers.namespaces.on(schedule);
  }

  /** Marks the caches synced and builds the first snapshot. */
  synced(): void {
    this.#synced = true;
    this.rebuild();
  }

  scheduleRebuild(): void {
    if (!this.#synced || this.#timer !== undefined) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.rebuild();
      },
      Math.max(REBUILD_DELAY_MS, this.#lastRebuildEnd + 2 * this.#lastRebuildMs - performance.now()),
    );
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Which Secrets the informer keeps whole: Latchkey's own, and those an OAuthClient names. Every other
   * Secret is kept as a stub without data, so the cache holds no unrelated credentials.
   */
  secretFilter = (secret: KubeObject): KubeObject => this.#secrets.filter(secret);

  /** Compiles the caches into a new snapshot and enqueues what is out of date. */
  rebuild(): void {
    const started = performance.now();
    // Cleared first: a rebuild that fails half-way has taken in changes it never checked.
    const incremental = this.#checkedAsLeader;
    this.#checkedAsLeader = false;
    const world = gatherWorld(this.#deps.informers, this.#declared, this.#secrets);
    const compiled = this.#deps.store.rebuild(
      {
        objects: world.objects,
        secrets: world.secrets,
        namespaces: world.namespaces,
        connectionChecks: this.#checks.results,
        invalid: world.invalid,
        addressPolicy: this.#deps.addressPolicy,
        managementApi: this.#deps.managementApi,
      },
      this.#deps.keys(),
    );
    const previous = this.#resolutions;
    const previousSecrets = this.#compiledSecrets;
    this.#resolutions = compiled.resolutions;
    this.#compiledSecrets = world.secrets;
    this.#secrets.keep(world.referenced);
    if (!this.#deps.isLeader()) {
      this.#enqueueUncheckedConnections();
    } else if (!incremental) {
      this.enqueueStale();
    } else {
      const changes = { objects: world.changed, secrets: changedSecrets(previousSecrets, world.secrets) };
      for (const key of keysToRecheck(previous, this.#resolutions, changes)) {
        const r = this.#resolutions.get(key) as Resolution;
        const cached = this.#deps.informers[r.kind].get(r.namespace, r.name);
        if (cached) this.#enqueueIfStale(r.kind, cached);
      }
      this.#checkedAsLeader = true;
    }
    this.#lastRebuildEnd = performance.now();
    this.#lastRebuildMs = this.#lastRebuildEnd - started;
  }

  /**
   * A follower checks Connections too (reads only, it writes no status): its own token endpoint verifies
   * federated workload tokens with the keys found, so it needs them as much as the leader does.
   */
  #enqueueUncheckedConnections(): void {
    for (const o of this.#deps.informers.Connection.list()) {
      if (this.#checks.uncheckedOrOutdated(o)) {
        this.#queues
          .get('Connection')
          ?.add(objectKey('Connection', o.metadata.namespace ?? '', o.metadata.name));
      }
    }
  }

  /**
   * Enqueues every object whose written status or Secret differs from what the store decided, and schedules
   * every client's next secret rotation: on the first rebuild and when this replica becomes the leader.
   */
  enqueueStale(): void {
    for (const r of this.#resolutions.values()) {
      const cached = this.#deps.informers[r.kind].get(r.namespace, r.name);
      if (cached) this.#enqueueIfStale(r.kind, cached);
    }
    this.#checkedAsLeader = this.#synced && this.#deps.isLeader();
  }

  #enqueueIfStale(kind: KindName, cached: KubeObject): void {
    const namespace = cached.metadata.namespace ?? '';
    const key = objectKey(kind, namespace, cached.metadata.name);
    const resolution = this.#resolutions.get(key);
    if (!resolution) return;
    const step = kind === 'OAuthClient' ? this.#secretStep(cached) : undefined;
    if (step?.wakeInMs !== undefined) this.#queues.get(kind)?.addAfter(key, step.wakeInMs);
    const stale = isStale({
      kind,
      resolution,
      status: cached['status'] as ObjectStatus | undefined,
      now: this.#deps.now(),
      ...(step !== undefined ? { secretAction: step.action.kind } : {}),
      ...(kind === 'Connection'
        ? { connectionChecked: this.#checks.has(namespace, cached.metadata.name) }
        : {}),
    });
    if (stale) this.#queues.get(kind)?.add(key);
  }

  /** Gather and decide what to do about a client's Secret now (see client-secret-step.ts). */
  #secretStep(cached: KubeObject): ClientSecretStep {
    return clientSecretStep({
      cached,
      declared: this.#declared.declared('OAuthClient', cached),
      existing: (namespace, name) => this.#deps.informers.secrets.get(namespace, name),
      resolution: this.#resolutions.get(
        objectKey('OAuthClient', cached.metadata.namespace ?? '', cached.metadata.name),
      ),
      urls: this.#deps.urls,
      now: this.#deps.now(),
    });
  }

  /** Reconciles one object; only the leader writes. Throws to be retried with backoff. */
  async reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const [kind, namespace, name] = key.split('/') as [KindName, string, string];
    if (!this.#deps.isLeader() && kind !== 'Connection') return;
    const cached = this.#deps.informers[kind].get(namespace, name);
    if (!cached) return;
    let requeueAfterMs: number | undefined;
    // A follower only checks the issuer, for the keys its snapshot needs (see #enqueueUncheckedConnections).
    const leader = this.#deps.isLeader();
    if (leader && kind === 'OAuthClient') requeueAfterMs = await this.#reconcileSecret(cached);
    if (kind === 'Connection') {
      requeueAfterMs = await this.#checks.check(cached, this.#declared.declared('Connection', cached));
    }
    if (leader) await this.#writeStatus(kind, cached);
    const check = kind === 'Connection' ? this.#checks.get(namespace, name) : undefined;
    if (check?.ok === false) throw new Error(`Connection ${namespace}/${name}: ${check.message}`);
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  }

  /** Applies the client's Secret step; when it had nothing to do, when to look again. */
  async #reconcileSecret(cached: KubeObject): Promise<number | undefined> {
    // After a write the watch event of the Secret schedules what comes next; without one, a timer that
    // fired a moment early would otherwise leave the rotation for the next rebuild.
    const step = this.#secretStep(cached);
    await this.#secretWriter.apply(cached, step.action, () =>
      secretNameOf(this.#declared.declared('OAuthClient', cached) as DeclaredOAuthClient),
    );
    if (step.action.kind !== 'none') return undefined;
    return step.wakeInMs !== undefined && step.wakeInMs > 0 ? step.wakeInMs : undefined;
  }

  async #writeStatus(kind: KindName, cached: KubeObject): Promise<void> {
    const resolution = this.#resolutions.get(
      objectKey(kind, cached.metadata.namespace ?? '', cached.metadata.name),
    );
    if (!resolution || (resolution.generation ?? 0) !== (cached.metadata.generation ?? 0)) return;
    await writeStatus(this.#deps, kind, cached, resolution, (reason) =>
      waitsForOwnSecret(kind, reason, () => this.#declared.declared(kind, cached)),
    );
  }
}
