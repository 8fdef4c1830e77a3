import { isDeepStrictEqual } from 'node:util';
import { API_VERSION } from '../api/common.ts';
import { ROTATE_SECRET_ANNOTATION } from '../api/oauth-client.ts';
import { MANAGED_LABELS } from '../api/labels.ts';
import { KIND_NAMES, type KindName } from '../api/kinds.ts';
import type { Clock } from '../clock.ts';
import type { AddressPolicy } from '../outbound/address-policy.ts';
import type { EventBus } from '../events.ts';
import type { SigningKeys } from '../keys/signing-keys.ts';
import { CORE_SECRETS, type Informer, type KubeApi, type KubeObject } from '../kube/types.ts';
import type { Resolution } from '../store/compile.ts';
import { secretNameOf } from '../store/names.ts';
import { Reason } from '../store/reasons.ts';
import type {
  ConnectionCheck,
  DeclaredConnection,
  DeclaredOAuthClient,
  DeclaredObject,
  InvalidObject,
  ObjectKey,
  SecretData,
} from '../store/objects.ts';
import { objectKey, secretKey } from '../store/objects.ts';
import { newClientSecret } from '../store/secrets.ts';
import type { Store } from '../store/store.ts';
import { CONNECTION_REFRESH_MS, keepLastGood } from '../connections/check-schedule.ts';
import { changedSecrets, keysToRecheck } from './recheck-after-rebuild.ts';
import type { EventRecorder } from './recorder.ts';
import { resourceOf } from './resources.ts';
import { secretStep, type SecretAction } from './client-secret-rotation.ts';
import { holdsItsName } from '../store/claims.ts';
import { desiredStatus, statusChanged, type ObjectStatus } from './status.ts';
import { declaredFrom, secretDataOf } from './world.ts';

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
  informers: { [K in KindName]: Informer<KubeObject> } & {
    secrets: Informer<KubeObject>;
    namespaces: Informer<KubeObject>;
  };
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
/** Longest single wait for a secret rotation or grace period; longer ones are re-checked after it. */
const MAX_WAKE_MS = 86_400_000;

/** A Secret the informer keeps without its data (see secretFilter). */
const STUB_ANNOTATION = 'latchkey.dev/data-not-cached';

/** A declared object as the last rebuild read it from its informer, with its parsed spec. */
interface Tracked {
  object: KubeObject;
  declared: DeclaredObject | InvalidObject;
  /** `namespace/name` of the Secret a valid OAuthClient names. */
  secretKey?: string;
  /** A newer version parsed between rebuilds (a reconcile reads the cache as it is now). */
  latest?: { resourceVersion: string; declared: DeclaredObject | InvalidObject };
  /** The rebuild that last saw it: an object no rebuild sees any more was deleted. */
  seen: number;
}

/**
 * Keeps the store in step with the cluster and, on the leader, the cluster in step with the store:
 * watch events → rebuild the snapshot → enqueue every object whose status or Secret is out of date →
 * reconcile it (gather from caches, decide with pure functions, apply the writes).
 */
export class Controller {
  readonly #deps: ControllerDeps;
  readonly #queues = new Map<KindName, ReconcileQueue>();
  readonly #checks = new Map<string, ConnectionCheck>();
  /** The generation of each Connection when it was last checked. */
  readonly #checkedGeneration = new Map<string, number | undefined>();
  /** Secrets fetched with their data because a client references them while the informer keeps a stub. */
  readonly #fetched = new Map<string, KubeObject>();
  readonly #fetching = new Set<string>();
  #resolutions: ReadonlyMap<ObjectKey, Resolution> = new Map();
  /**
   * Every declared object by key, as the last rebuild read it. Parsing thousands of unchanged specs on every
   * rebuild would dominate it, and which objects changed tells the rebuild which ones to check.
   */
  readonly #tracked = new Map<string, Tracked>();
  /** The same entries by the cached object they last read: an unchanged object is found without its key. */
  readonly #trackedByObject = new WeakMap<KubeObject, Tracked>();
  #rebuilds = 0;
  /** The decoded Secrets the last rebuild compiled from. */
  #secrets: ReadonlyMap<string, SecretData> = new Map();
  /**
   * Whether every object was checked, as the leader, against the last rebuild's caches and decisions. Only then
   * can the next rebuild check just what changed since; otherwise (the first rebuild, one made as a follower,
   * one that failed) it checks all.
   */
  #checkedAsLeader = false;
  /** `namespace/name` of every Secret an OAuthClient names, as of the last rebuild. */
  #referenced = new Set<string>();
  /** How long the last rebuild took; the next one waits at least twice that, so rebuilds never take over. */
  #lastRebuildMs = 0;
  /** When the last rebuild ended: an operator that has been idle since then rebuilds after the short delay. */
  #lastRebuildEnd = 0;
  #timer: NodeJS.Timeout | undefined;
  #synced = false;

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
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
  secretFilter = (secret: KubeObject): KubeObject => {
    const labels = secret.metadata.labels ?? {};
    if (labels[Object.keys(MANAGED_LABELS)[0] as string] === 'latchkey') return secret;
    if (this.#referenced.has(secretKey(secret.metadata.namespace ?? '', secret.metadata.name))) return secret;
    const { data: _data, stringData: _s, ...rest } = secret;
    return {
      ...rest,
      metadata: {
        ...secret.metadata,
        annotations: { ...secret.metadata.annotations, [STUB_ANNOTATION]: 'true' },
      },
    };
  };

  /** The object's spec parsed by its kind's schema, reused while its resourceVersion stays the same. */
  #declared(kind: KindName, o: KubeObject): DeclaredObject | InvalidObject {
    const t = this.#tracked.get(objectKey(kind, o.metadata.namespace ?? '', o.metadata.name));
    if (t === undefined) return declaredFrom(kind, o);
    const version = o.metadata.resourceVersion;
    if (t.object === o || (version !== undefined && version === t.object.metadata.resourceVersion))
      return t.declared;
    if (version !== undefined && t.latest?.resourceVersion === version) return t.latest.declared;
    const declared = declaredFrom(kind, o);
    if (version !== undefined) t.latest = { resourceVersion: version, declared };
    return declared;
  }

  /** Compiles the caches into a new snapshot and enqueues what is out of date. */
  rebuild(): void {
    const started = performance.now();
    const rebuild = ++this.#rebuilds;
    // Cleared first: a rebuild that fails half-way has taken in changes it never checked.
    const incremental = this.#checkedAsLeader;
    this.#checkedAsLeader = false;
    const objects: DeclaredObject[] = [];
    const invalid: InvalidObject[] = [];
    const changed = new Set<string>();
    const referenced = new Set<string>();
    let count = 0;
    for (const kind of KIND_NAMES) {
      for (const o of this.#deps.informers[kind].list()) {
        count++;
        let t = this.#trackedByObject.get(o);
        if (t?.object !== o) {
          const key = objectKey(kind, o.metadata.namespace ?? '', o.metadata.name);
          t = this.#tracked.get(key);
          if (t === undefined) {
            t = { object: o, declared: declaredFrom(kind, o), seen: rebuild };
            this.#tracked.set(key, t);
          } else {
            t.declared = this.#declared(kind, o);
            t.object = o;
            delete t.latest;
          }
          const d = t.declared;
          if (d.kind === 'OAuthClient' && 'spec' in d)
            t.secretKey = secretKey(d.metadata.namespace, secretNameOf(d));
          else delete t.secretKey;
          this.#trackedByObject.set(o, t);
          changed.add(key);
        }
        t.seen = rebuild;
        const d = t.declared;
        if (!('spec' in d)) invalid.push(d);
        else objects.push(d);
        if (t.secretKey !== undefined) referenced.add(t.secretKey);
      }
    }
    if (this.#tracked.size > count) {
      for (const [key, t] of this.#tracked) {
        if (t.seen === rebuild) continue;
        this.#tracked.delete(key);
        this.#trackedByObject.delete(t.object);
      }
    }
    const secrets = new Map<string, SecretData>();
    for (const s of this.#deps.informers.secrets.list()) {
      const key = secretKey(s.metadata.namespace ?? '', s.metadata.name);
      if (!referenced.has(key)) continue;
      let full = s;
      if (s.metadata.annotations?.[STUB_ANNOTATION] !== undefined) {
        const fetched = this.#fetched.get(key);
        if (fetched === undefined || fetched.metadata.resourceVersion !== s.metadata.resourceVersion) {
          void this.#fetchSecret(s.metadata.namespace ?? '', s.metadata.name);
          continue;
        }
        full = fetched;
      }
      secrets.set(key, secretDataOf(full));
    }
    const namespaces = new Map<string, Record<string, string>>();
    for (const ns of this.#deps.informers.namespaces.list())
      namespaces.set(ns.metadata.name, ns.metadata.labels ?? {});

    const compiled = this.#deps.store.rebuild(
      {
        objects,
        secrets,
        namespaces,
        connectionChecks: this.#checks,
        invalid,
        addressPolicy: this.#deps.addressPolicy,
      },
      this.#deps.keys(),
    );
    const previous = this.#resolutions;
    const previousSecrets = this.#secrets;
    this.#resolutions = compiled.resolutions;
    this.#secrets = secrets;
    this.#referenced = referenced;
    if (!this.#deps.isLeader()) {
      this.#enqueueUncheckedConnections();
    } else if (!incremental) {
      this.enqueueStale();
    } else {
      const changes = { objects: changed, secrets: changedSecrets(previousSecrets, secrets) };
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

  /** A referenced Secret the informer keeps as a stub: read it once, then rebuild. */
  async #fetchSecret(namespace: string, name: string): Promise<void> {
    const key = secretKey(namespace, name);
    if (this.#fetching.has(key)) return;
    this.#fetching.add(key);
    try {
      const full = await this.#deps.api.get<KubeObject>(CORE_SECRETS, namespace, name);
      if (full) this.#fetched.set(key, full);
      this.scheduleRebuild();
    } catch {
      // The next watch event or rebuild tries again.
    } finally {
      this.#fetching.delete(key);
    }
  }

  /**
   * A follower checks Connections too (reads only, it writes no status): its own token endpoint verifies
   * federated workload tokens with the keys found, so it needs them as much as the leader does.
   */
  #enqueueUncheckedConnections(): void {
    for (const o of this.#deps.informers.Connection.list()) {
      const namespace = o.metadata.namespace ?? '';
      const key = secretKey(namespace, o.metadata.name);
      if (!this.#checks.has(key) || this.#checkedGeneration.get(key) !== o.metadata.generation) {
        this.#queues.get('Connection')?.add(objectKey('Connection', namespace, o.metadata.name));
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
    const r = this.#resolutions.get(key);
    if (!r) return;
    const status = cached['status'] as ObjectStatus | undefined;
    let stale = statusChanged(status, desiredStatus(r, status, this.#deps.now()));
    if (kind === 'OAuthClient') {
      const step = this.#secretStep(cached);
      if (!stale) stale = step.action.kind !== 'none';
      if (step.wakeInMs !== undefined) this.#queues.get(kind)?.addAfter(key, step.wakeInMs);
    }
    if (!stale && kind === 'Connection' && !this.#checks.has(secretKey(namespace, cached.metadata.name)))
      stale = true;
    if (stale) this.#queues.get(kind)?.add(key);
  }

  /** What to do about a client's Secret now, and how long until something is next due (see secretStep). */
  #secretStep(o: KubeObject): { action: SecretAction; wakeInMs?: number } {
    const d = this.#declared('OAuthClient', o);
    if (!('spec' in d)) return { action: { kind: 'none' } };
    const client = d as DeclaredOAuthClient;
    const status = o['status'] as ObjectStatus | undefined;
    const { action, wakeInMs } = secretStep({
      client,
      uid: o.metadata.uid ?? '',
      issuedBefore: status?.secretName !== undefined,
      existing: this.#deps.informers.secrets.get(client.metadata.namespace, secretNameOf(client)),
      urls: this.#deps.urls,
      newSecret: newClientSecret,
      now: this.#deps.now(),
      holdsClientId: holdsItsName(
        this.#resolutions.get(objectKey('OAuthClient', client.metadata.namespace, client.metadata.name)),
      ),
    });
    // Timers overflow past 2^31 ms (24.8 days): a far date is approached in steps.
    return wakeInMs === undefined ? { action } : { action, wakeInMs: Math.min(wakeInMs, MAX_WAKE_MS) };
  }

  /** Reconciles one object; only the leader writes. Throws to be retried with backoff. */
  async reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const [kind, namespace, name] = key.split('/') as [KindName, string, string];
    if (!this.#deps.isLeader() && kind !== 'Connection') return;
    const cached = this.#deps.informers[kind].get(namespace, name);
    if (!cached) return;
    let requeueAfterMs: number | undefined;
    if (!this.#deps.isLeader()) {
      // A follower only checks the issuer, for the keys its snapshot needs (see #enqueueUncheckedConnections).
      requeueAfterMs = await this.#checkConnection(cached);
      const check = this.#checks.get(secretKey(namespace, name));
      if (check?.ok === false) throw new Error(`Connection ${namespace}/${name}: ${check.message}`);
      return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
    }

    if (kind === 'OAuthClient') {
      // After a write the watch event of the Secret schedules what comes next; without one, a timer that
      // fired a moment early would otherwise leave the rotation for the next rebuild.
      const step = this.#secretStep(cached);
      if ((await this.#reconcileSecret(cached, step.action)) === 'none') {
        if (step.wakeInMs !== undefined && step.wakeInMs > 0) requeueAfterMs = step.wakeInMs;
      }
    }
    if (kind === 'Connection') requeueAfterMs = await this.#checkConnection(cached);

    const resolution = this.#resolutions.get(objectKey(kind, namespace, name));
    if (resolution && (resolution.generation ?? 0) === (cached.metadata.generation ?? 0)) {
      await this.#writeStatus(kind, cached, resolution);
    }
    const check = this.#checks.get(secretKey(namespace, name));
    if (kind === 'Connection' && check?.ok === false) {
      throw new Error(`Connection ${namespace}/${name}: ${check.message}`);
    }
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  }

  async #reconcileSecret(o: KubeObject, action: SecretAction): Promise<SecretAction['kind']> {
    const namespace = o.metadata.namespace ?? '';
    const regarding = {
      apiVersion: API_VERSION,
      kind: 'OAuthClient',
      namespace,
      name: o.metadata.name,
      ...(o.metadata.uid ? { uid: o.metadata.uid } : {}),
    };
    switch (action.kind) {
      case 'none':
        return action.kind;
      case 'create': {
        await this.#deps.api.create(CORE_SECRETS, namespace, action.body);
        const secretName = action.body.metadata.name;
        this.#deps.events.emit('secret.issued', {
          namespace,
          name: secretName,
          clientId: o.metadata.name,
          reason: action.recreated ? 'recreated' : 'created',
        });
        await this.#deps.recorder.record(
          regarding,
          'Normal',
          action.recreated ? 'SecretRecreated' : 'SecretIssued',
          'IssueSecret',
          action.recreated
            ? `Secret ${namespace}/${secretName} was missing; issued a new client secret into it (the previous secret no longer works)`
            : `issued a new client secret into Secret ${namespace}/${secretName}`,
        );
        return action.kind;
      }
      case 'update': {
        const secretName = secretNameOf(this.#declared('OAuthClient', o) as DeclaredOAuthClient);
        await this.#deps.api.patch(
          CORE_SECRETS,
          namespace,
          secretName,
          {
            data: action.data,
            ...(action.annotations !== undefined ? { metadata: { annotations: action.annotations } } : {}),
          },
          action.resourceVersion !== undefined ? { resourceVersion: action.resourceVersion } : {},
        );
        if (action.secretReplaced) {
          await this.#deps.recorder.record(
            regarding,
            'Normal',
            'SecretRecreated',
            'IssueSecret',
            `Secret ${namespace}/${secretName} had no client secret; issued a new one`,
          );
        }
        if (action.rotated !== undefined) {
          const { cause, previousValidUntil } = action.rotated;
          this.#deps.events.emit('secret.issued', {
            namespace,
            name: secretName,
            clientId: o.metadata.name,
            reason: 'rotated',
          });
          await this.#deps.recorder.record(
            regarding,
            'Normal',
            'SecretRotated',
            'RotateSecret',
            `secret rotated in Secret ${namespace}/${secretName} (${cause === 'requested' ? `annotation ${ROTATE_SECRET_ANNOTATION}` : 'spec.secret.rotation.interval'}); previous valid until ${previousValidUntil}`,
          );
        }
        if (action.previousExpired === true) {
          await this.#deps.recorder.record(
            regarding,
            'Normal',
            'PreviousSecretExpired',
            'RotateSecret',
            `the previous client secret no longer works: its grace period ended; removed it from Secret ${namespace}/${secretName}`,
          );
        }
        return action.kind;
      }
      case 'conflict':
        await this.#recordOnce(o, 'SecretConflict', action.message);
        return action.kind;
    }
  }

  async #checkConnection(o: KubeObject): Promise<number | undefined> {
    const d = this.#declared('Connection', o);
    if (!('spec' in d)) return undefined;
    const key = secretKey(d.metadata.namespace, d.metadata.name);
    const label = objectKey('Connection', d.metadata.namespace, d.metadata.name);
    const fresh = await this.#deps.checkConnection((d as DeclaredConnection).spec, label);
    const before = this.#checks.get(key);
    const sameSpec = this.#checkedGeneration.get(key) === o.metadata.generation;
    const check = keepLastGood(fresh, sameSpec ? before : undefined);
    this.#checks.set(key, check);
    this.#checkedGeneration.set(key, o.metadata.generation);
    if (JSON.stringify(before) !== JSON.stringify(check)) this.rebuild();
    return check.ok ? (this.#deps.connectionRefreshMs ?? CONNECTION_REFRESH_MS) : undefined;
  }

  async #writeStatus(kind: KindName, o: KubeObject, resolution: Resolution): Promise<void> {
    const current = o['status'] as ObjectStatus | undefined;
    const next = desiredStatus(resolution, current, this.#deps.now());
    if (!statusChanged(current, next)) return;
    // A merge patch keeps what it does not name: a field that no longer applies (the previous secret's
    // valid-until once it expired, say) is removed with an explicit null.
    const removed = Object.keys(current ?? {})
      .filter((k) => !(k in next))
      .map((k) => [k, null]);
    await this.#deps.api.patch(
      resourceOf(kind),
      o.metadata.namespace,
      o.metadata.name,
      { status: { ...Object.fromEntries(removed), ...next } },
      { subresource: 'status' },
    );
    const was = current?.conditions?.find((c) => c.type === 'Ready');
    const ready = next.conditions?.find((c) => c.type === 'Ready');
    if (
      ready &&
      ready.status !== 'True' &&
      (was?.reason !== ready.reason || was?.status !== ready.status) &&
      !this.#waitingForOwnSecret(kind, o, ready.reason)
    ) {
      await this.#deps.recorder.record(
        {
          apiVersion: API_VERSION,
          kind,
          namespace: o.metadata.namespace ?? '',
          name: o.metadata.name,
          ...(o.metadata.uid ? { uid: o.metadata.uid } : {}),
        },
        ready.status === 'False' ? 'Warning' : 'Normal',
        ready.reason,
        'Reconcile',
        ready.message,
      );
    }
  }

  /** A new client waits a moment for the Secret the leader is creating: that is no news worth an Event. */
  #waitingForOwnSecret(kind: KindName, o: KubeObject, reason: string): boolean {
    if (kind !== 'OAuthClient' || reason !== Reason.SecretMissing) return false;
    const d = this.#declared('OAuthClient', o);
    return 'spec' in d && (d as DeclaredOAuthClient).spec.secret.source === 'Generate';
  }

  readonly #recorded = new Map<string, string>();

  /** An Event per distinct problem of an object, not one per reconcile. */
  async #recordOnce(o: KubeObject, reason: string, note: string): Promise<void> {
    const key = `${o.metadata.namespace}/${o.metadata.name}/${reason}`;
    if (this.#recorded.get(key) === note) return;
    this.#recorded.set(key, note);
    await this.#deps.recorder.record(
      {
        apiVersion: API_VERSION,
        kind: 'OAuthClient',
        namespace: o.metadata.namespace ?? '',
        name: o.metadata.name,
        ...(o.metadata.uid ? { uid: o.metadata.uid } : {}),
      },
      'Warning',
      reason,
      'IssueSecret',
      note,
    );
  }
}
