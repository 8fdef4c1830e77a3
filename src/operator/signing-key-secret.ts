import { MANAGED_LABELS } from '../api/labels.ts';
import type { Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import { decodeKeyRing, encodeKeyRing, KEYS_DATA_KEY } from '../keys/codec.ts';
import { generateSigningKey } from '../keys/generate.ts';
import { keySetAt, nextKeyChange, sameKeySet, type KeyRing } from '../keys/lifecycle.ts';
import { decideRotation, type RotationPlan, type RotationSchedule } from '../keys/signing-key-rotation.ts';
import {
  KEY_ALGORITHMS,
  type KeyAlgorithm,
  type SigningKey,
  type SigningKeys,
} from '../keys/signing-keys.ts';
import { systemTimers, type Timers } from '../timers.ts';
import { CORE_CONFIGMAPS, CORE_SECRETS, KubeApiError, type KubeApi, type KubeObject } from '../kube/types.ts';
import type { EventRecorder } from './recorder.ts';
import { secretDataOf } from './world.ts';

export const SIGNING_KEYS_SECRET = 'latchkey-signing-keys';
/**
 * A ConfigMap (public data only) recording that keys were issued and their kids. Without it, losing the
 * key Secret while every replica restarts would look like a first start and silently yield new keys.
 */
export const KEYS_ISSUED_CONFIGMAP = 'latchkey-signing-keys-issued';
/** Set to any new value on the key Secret: publish a new key for every algorithm now, signing after the pre-publish period. */
export const ROTATE_ANNOTATION = 'latchkey.dev/rotate';
/** Set to kids (comma separated) on the key Secret: drop them from the JWKS now; an active one is replaced at once. */
export const REVOKE_ANNOTATION = 'latchkey.dev/revoke-kid';

/** A day: re-check at least this often, and stay far below setTimeout's limit of 24.8 days. */
const MAX_WAIT_MS = 86_400_000;
/** Lost keys wait for a person (restore the Secret, or allow new keys); look again at this pace meanwhile. */
const WAITING_RETRY_MS = 5_000;

/** What the leader does about a missing key Secret. Pure. */
export type KeysAction =
  | { kind: 'none' }
  /** No Secret and no keys anywhere: the very first start. */
  | { kind: 'generate' }
  /** The Secret is gone but this replica holds the keys: put them back, never new ones. */
  | { kind: 'restore'; ring: KeyRing }
  /** The Secret is gone, keys were issued before, and nobody holds them: stop and say so. */
  | { kind: 'refuse'; kids: string[] };

export function decideKeys(input: {
  leader: boolean;
  synced: boolean;
  secretExists: boolean;
  inMemory: KeyRing | undefined;
  /** kids recorded as issued before (undefined: keys were never issued). */
  issuedKids: string[] | undefined;
}): KeysAction {
  if (!input.leader || !input.synced || input.secretExists) return { kind: 'none' };
  if (input.inMemory !== undefined) return { kind: 'restore', ring: input.inMemory };
  if (input.issuedKids !== undefined) return { kind: 'refuse', kids: input.issuedKids };
  return { kind: 'generate' };
}

export interface OperatorKeysOptions {
  api: KubeApi;
  namespace: string;
  events: EventBus;
  now: Clock;
  schedule: RotationSchedule;
  /** The longest access-token lifetime of any API in force now. */
  tokenLifetimeSeconds: () => number;
  /** Told each time the key set in force changes: a new Secret, or a key's time came. */
  onKeys: (keys: SigningKeys) => void;
  /** Events about the key Secret (kubectl describe secret); none when absent. */
  recorder?: EventRecorder;
  timers?: Timers;
}

/**
 * The signing keys of an operator replica. Every replica loads them from a Secret in the operator's
 * namespace and derives the key set in force from the stored times and its own clock, switching at each
 * key's time. The leader creates the Secret, restores it when deleted, and rotates the keys on schedule and
 * on demand (see src/keys/signing-key-rotation.ts). A corrupt Secret is a loud error and is left as it is; a
 * replica that already holds keys keeps signing with them.
 */
export class OperatorKeys {
  readonly #o: OperatorKeysOptions;
  readonly #timers: Timers;
  readonly #where: string;
  #ring: KeyRing | undefined;
  #keySet: SigningKeys | undefined;
  #secret: KubeObject | undefined;
  #error: string | undefined;
  /** New keys held in memory until a write that uses them succeeds; a failed write retries with the same keys. */
  #spares: SigningKey[] = [];
  #timer: unknown;

  constructor(options: OperatorKeysOptions) {
    this.#o = options;
    this.#timers = options.timers ?? systemTimers;
    this.#where = `Secret ${options.namespace}/${SIGNING_KEYS_SECRET}`;
  }

  /** The key set in force, once loaded. */
  get keys(): SigningKeys | undefined {
    return this.#keySet;
  }

  /** The stored keys as last read or written. */
  get ring(): KeyRing | undefined {
    return this.#ring;
  }

  /** Why the keys cannot be read, when they cannot. */
  get error(): string | undefined {
    return this.#error;
  }

  /** Whether an API now issues tokens that outlive what a key that may have signed them records. */
  lifetimeBehind(): boolean {
    const lifetime = this.#o.tokenLifetimeSeconds();
    return this.#ring?.keys.some((r) => r.tokenLifetimeSeconds < lifetime) ?? false;
  }

  /** Takes the key Secret as the informer sees it (undefined: it does not exist). */
  observe(secret: KubeObject | undefined): void {
    this.#secret = secret;
    if (secret === undefined) return;
    try {
      this.#ring = decodeKeyRing(secretDataOf(secret).data[KEYS_DATA_KEY], this.#where);
      this.#error = undefined;
      this.#refresh();
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.#error) this.#o.events.emit('keys.corrupt', { where: this.#where, message });
      this.#error = message;
    }
  }

  /** Stops the timer that switches keys at their time. */
  stop(): void {
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Recomputes the key set in force and sets a timer for its next change. An early timer just sets another. */
  #refresh(): void {
    this.stop();
    const ring = this.#ring;
    if (ring === undefined) return;
    const now = this.#o.now();
    const set = keySetAt(ring.keys, now, this.#o.schedule);
    if (!sameKeySet(this.#keySet, set)) {
      this.#keySet = set;
      this.#o.onKeys(set);
    }
    const at = nextKeyChange(ring.keys, now, this.#o.schedule.clockSkewMs);
    if (at !== undefined) {
      this.#timer = this.#timers.setTimeout(() => this.#refresh(), Math.min(at - now, MAX_WAIT_MS));
    }
  }

  async #issuedKids(): Promise<string[] | undefined> {
    const issued = await this.#o.api.get<KubeObject>(
      CORE_CONFIGMAPS,
      this.#o.namespace,
      KEYS_ISSUED_CONFIGMAP,
    );
    if (issued === undefined) return undefined;
    const kids = String((issued['data'] as Record<string, string> | undefined)?.['kids'] ?? '');
    return kids.split(',').filter((k) => k !== '');
  }

  /** Writes the issued kids; `current` is what the ConfigMap holds (undefined: it does not exist). */
  async #recordIssued(kids: string[], current: string[] | undefined): Promise<void> {
    if (current !== undefined && current.join() === kids.join()) return;
    const data = { kids: kids.join(',') };
    if (current !== undefined) {
      await this.#o.api.patch(CORE_CONFIGMAPS, this.#o.namespace, KEYS_ISSUED_CONFIGMAP, { data });
      return;
    }
    try {
      await this.#o.api.create(CORE_CONFIGMAPS, this.#o.namespace, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: KEYS_ISSUED_CONFIGMAP,
          namespace: this.#o.namespace,
          labels: { ...MANAGED_LABELS },
        },
        data,
      });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 409)) throw err;
      await this.#o.api.patch(CORE_CONFIGMAPS, this.#o.namespace, KEYS_ISSUED_CONFIGMAP, { data });
    }
  }

  async #spare(algs: readonly KeyAlgorithm[]): Promise<void> {
    const fresh = await Promise.all(algs.map(generateSigningKey));
    this.#spares.push(...fresh);
  }

  #taken(used: readonly SigningKey[]): void {
    this.#spares = this.#spares.filter((k) => !used.includes(k));
  }

  /**
   * The leader's work on the keys: create the Secret on first start, put it back when deleted (or refuse
   * when nobody holds the keys), and rotate. Resolves with when to look again; throws to be retried with
   * backoff, holding any new key in memory meanwhile.
   */
  async reconcile(leader: boolean, synced: boolean): Promise<{ requeueAfterMs?: number }> {
    if (!leader || !synced) return {};
    if (this.#secret === undefined) return this.#ensureSecret();
    // A Secret that cannot be read is left as it is for a person to fix, even when a rotation is due.
    if (this.#ring === undefined || this.#error !== undefined) return {};
    let plan: RotationPlan | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const annotations = this.#secret.metadata.annotations ?? {};
      plan = decideRotation({
        now: this.#o.now(),
        ring: this.#ring,
        schedule: this.#o.schedule,
        tokenLifetimeSeconds: this.#o.tokenLifetimeSeconds(),
        requests: {
          ...(annotations[ROTATE_ANNOTATION] !== undefined ? { rotate: annotations[ROTATE_ANNOTATION] } : {}),
          ...(annotations[REVOKE_ANNOTATION] !== undefined ? { revoke: annotations[REVOKE_ANNOTATION] } : {}),
        },
        spares: this.#spares,
      });
      if (plan.short.length === 0) break;
      await this.#spare(plan.short);
    }
    if (plan === undefined || plan.short.length > 0)
      throw new Error('no spare signing key after generating one');
    if (plan.ring !== undefined) await this.#write(plan.ring, plan);
    return plan.wakeAt === undefined ? {} : { requeueAfterMs: this.#wait(plan.wakeAt) };
  }

  #wait(at: number): number {
    return Math.max(1, Math.min(at - this.#o.now(), MAX_WAIT_MS));
  }

  /** Writes a new ring over the one read, refusing (409) if the Secret changed since: the informer brings the change. */
  async #write(ring: KeyRing, plan: RotationPlan): Promise<void> {
    const before = await this.#issuedKids();
    const kids = ring.keys.map((r) => r.key.kid);
    // Recorded first: a new kid never signs without the record that the refuse-if-lost safeguard relies on.
    if (plan.used.length > 0) await this.#recordIssued([...new Set([...(before ?? []), ...kids])], before);
    const resourceVersion = this.#secret?.metadata.resourceVersion;
    const written = await this.#o.api.patch<KubeObject>(
      CORE_SECRETS,
      this.#o.namespace,
      SIGNING_KEYS_SECRET,
      { data: { [KEYS_DATA_KEY]: Buffer.from(encodeKeyRing(ring)).toString('base64') } },
      resourceVersion !== undefined ? { resourceVersion } : {},
    );
    this.#taken(plan.used);
    this.#secret = written;
    this.#ring = ring;
    this.#refresh();
    await this.#recordIssued(
      kids,
      plan.used.length > 0 ? [...new Set([...(before ?? []), ...kids])] : before,
    );
    await this.#report(plan);
  }

  async #report(plan: RotationPlan): Promise<void> {
    const { events, recorder } = this.#o;
    const record = (type: 'Normal' | 'Warning', reason: string, note: string) =>
      recorder?.record(
        {
          apiVersion: 'v1',
          kind: 'Secret',
          namespace: this.#o.namespace,
          name: SIGNING_KEYS_SECRET,
          ...(this.#secret?.metadata.uid !== undefined ? { uid: this.#secret.metadata.uid } : {}),
        },
        type,
        reason,
        'RotateSigningKeys',
        note,
      );
    if (plan.revoked.length > 0 || plan.unknown.length > 0) {
      events.emit('keys.revoked', { kids: plan.revoked, promoted: plan.promoted, unknown: plan.unknown });
      const promoted = plan.promoted.length > 0 ? `; signing at once with ${plan.promoted.join(', ')}` : '';
      const unknown = plan.unknown.length > 0 ? `; no key ${plan.unknown.join(', ')} to revoke` : '';
      await record(
        'Warning',
        'SigningKeyRevoked',
        `revoked ${plan.revoked.join(', ') || 'nothing'}${promoted}${unknown}`,
      );
    }
    const byKid = new Map(this.#ring?.keys.map((r) => [r.key.kid, r]));
    for (const kid of plan.published) {
      const r = byKid.get(kid);
      if (r === undefined) continue;
      const activatesAt = new Date(r.activatesAt).toISOString();
      events.emit('keys.published', { kid, algorithm: r.key.alg, activatesAt });
      await record(
        'Normal',
        'SigningKeyPublished',
        `published ${r.key.alg} key ${kid}; it signs from ${activatesAt}`,
      );
    }
    if (plan.removed.length > 0) {
      events.emit('keys.removed', { kids: plan.removed });
      await record(
        'Normal',
        'SigningKeyRemoved',
        `removed ${plan.removed.join(', ')}: every token they signed has expired`,
      );
    }
  }

  /** The Secret is missing: create it on the very first start, put it back, or refuse and wait for a person. */
  async #ensureSecret(): Promise<{ requeueAfterMs?: number }> {
    const issuedKids = await this.#issuedKids();
    const action = decideKeys({
      leader: true,
      synced: true,
      secretExists: false,
      inMemory: this.#ring,
      issuedKids,
    });
    if (action.kind === 'none') return {};
    if (action.kind === 'refuse') {
      const message =
        `${this.#where} is gone and no replica holds the keys it held (kids ${action.kids.join(', ')}); ` +
        `tokens they signed may still be in use. Restore the Secret from a backup, or delete ConfigMap ${this.#o.namespace}/${KEYS_ISSUED_CONFIGMAP} to issue new keys`;
      if (message !== this.#error) this.#o.events.emit('keys.corrupt', { where: this.#where, message });
      this.#error = message;
      return { requeueAfterMs: WAITING_RETRY_MS };
    }
    let ring: KeyRing;
    const used: SigningKey[] = [];
    if (action.kind === 'restore') ring = action.ring;
    else {
      const missing = KEY_ALGORITHMS.filter((alg) => !this.#spares.some((k) => k.alg === alg));
      await this.#spare(missing);
      const now = this.#o.now();
      const lifetime = this.#o.tokenLifetimeSeconds();
      // No token exists yet that a cached JWKS would have to verify: the first keys sign at once.
      ring = {
        keys: KEY_ALGORITHMS.map((alg) => {
          const key = this.#spares.find((k) => k.alg === alg) as SigningKey;
          used.push(key);
          return { key, createdAt: now, activatesAt: now, tokenLifetimeSeconds: lifetime };
        }),
        handled: {},
      };
      await this.#recordIssued(
        ring.keys.map((r) => r.key.kid),
        issuedKids,
      );
    }
    let created: KubeObject;
    try {
      created = await this.#o.api.create<KubeObject>(CORE_SECRETS, this.#o.namespace, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: SIGNING_KEYS_SECRET, namespace: this.#o.namespace, labels: { ...MANAGED_LABELS } },
        type: 'Opaque',
        data: { [KEYS_DATA_KEY]: Buffer.from(encodeKeyRing(ring)).toString('base64') },
      });
    } catch (err) {
      // Another replica won the race: its keys arrive through the informer.
      if (err instanceof KubeApiError && err.status === 409) return {};
      throw err;
    }
    this.#taken(used);
    this.#error = undefined;
    if (action.kind === 'generate') this.#o.events.emit('keys.created', { algorithms: [...KEY_ALGORITHMS] });
    else this.#o.events.emit('keys.restored', { where: this.#where });
    if (this.#secret === undefined) this.observe(created);
    return { requeueAfterMs: 1 };
  }
}
