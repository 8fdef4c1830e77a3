import type { EventBus } from '../events.ts';
import { MANAGED_LABELS } from '../api/labels.ts';
import { decodeKeys, encodeKeys, KEYS_DATA_KEY } from '../keys/codec.ts';
import { generateSigningKeys } from '../keys/generate.ts';
import type { SigningKey } from '../keys/signing-keys.ts';
import { CORE_CONFIGMAPS, CORE_SECRETS, KubeApiError, type KubeApi, type KubeObject } from '../kube/types.ts';
import { secretDataOf } from './world.ts';

export const SIGNING_KEYS_SECRET = 'latchkey-signing-keys';
/**
 * A ConfigMap (public data only) recording that keys were issued and their kids. Without it, losing the
 * key Secret while every replica restarts would look like a first start and silently yield new keys.
 */
export const KEYS_ISSUED_CONFIGMAP = 'latchkey-signing-keys-issued';

/** What the leader does about the key Secret. Pure. */
export type KeysAction =
  | { kind: 'none' }
  /** No Secret and no keys anywhere: the very first start. */
  | { kind: 'generate' }
  /** The Secret is gone but this replica holds the keys: put them back, never new ones. */
  | { kind: 'restore'; keys: SigningKey[] }
  /** The Secret is gone, keys were issued before, and nobody holds them: stop and say so. */
  | { kind: 'refuse'; kids: string[] };

export function decideKeys(input: {
  leader: boolean;
  synced: boolean;
  secretExists: boolean;
  inMemory: SigningKey[] | undefined;
  /** kids recorded as issued before (undefined: keys were never issued). */
  issuedKids: string[] | undefined;
}): KeysAction {
  if (!input.leader || !input.synced || input.secretExists) return { kind: 'none' };
  if (input.inMemory !== undefined) return { kind: 'restore', keys: input.inMemory };
  if (input.issuedKids !== undefined) return { kind: 'refuse', kids: input.issuedKids };
  return { kind: 'generate' };
}

/**
 * The signing keys of an operator replica: loaded from a Secret in the operator's namespace by every
 * replica, created by the leader when there is none. A corrupt Secret is a loud error and is left as it
 * is; a replica that already holds keys keeps signing with them.
 */
export class OperatorKeys {
  readonly #api: KubeApi;
  readonly #namespace: string;
  readonly #events: EventBus;
  readonly #onKeys: (keys: SigningKey[]) => void;
  #keys: SigningKey[] | undefined;
  #error: string | undefined;
  #secretExists = false;

  constructor(options: {
    api: KubeApi;
    namespace: string;
    events: EventBus;
    onKeys: (keys: SigningKey[]) => void;
  }) {
    this.#api = options.api;
    this.#namespace = options.namespace;
    this.#events = options.events;
    this.#onKeys = options.onKeys;
  }

  get keys(): SigningKey[] | undefined {
    return this.#keys;
  }

  /** Why the keys cannot be read, when they cannot. */
  get error(): string | undefined {
    return this.#error;
  }

  async #recordIssued(keys: SigningKey[]): Promise<void> {
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: KEYS_ISSUED_CONFIGMAP, namespace: this.#namespace, labels: { ...MANAGED_LABELS } },
      data: { kids: keys.map((k) => k.kid).join(',') },
    };
    try {
      await this.#api.create(CORE_CONFIGMAPS, this.#namespace, body);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 409)) throw err;
      await this.#api.patch(CORE_CONFIGMAPS, this.#namespace, KEYS_ISSUED_CONFIGMAP, { data: body.data });
    }
  }

  /** Takes the key Secret as the informer sees it (undefined: it does not exist). */
  observe(secret: KubeObject | undefined): void {
    this.#secretExists = secret !== undefined;
    if (secret === undefined) return;
    const where = `Secret ${this.#namespace}/${SIGNING_KEYS_SECRET}`;
    try {
      const keys = decodeKeys(secretDataOf(secret).data[KEYS_DATA_KEY], where);
      this.#error = undefined;
      const changed =
        this.#keys === undefined || keys.map((k) => k.kid).join() !== this.#keys.map((k) => k.kid).join();
      this.#keys = keys;
      if (changed) this.#onKeys(keys);
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.#error) this.#events.emit('keys.corrupt', { where, message });
      this.#error = message;
    }
  }

  /**
   * As the leader, creates the key Secret when it is missing. Resolves `'waiting'` when it refused to issue
   * keys and a person has to act; the caller asks again later.
   */
  async ensure(leader: boolean, synced: boolean): Promise<'done' | 'waiting'> {
    if (!leader || !synced || this.#secretExists) return 'done';
    const issued = await this.#api.get<KubeObject>(CORE_CONFIGMAPS, this.#namespace, KEYS_ISSUED_CONFIGMAP);
    const issuedKids = issued
      ? String((issued['data'] as Record<string, string> | undefined)?.['kids'] ?? '').split(',')
      : undefined;
    const action = decideKeys({
      leader,
      synced,
      secretExists: this.#secretExists,
      inMemory: this.#keys,
      issuedKids,
    });
    if (action.kind === 'none') return 'done';
    if (action.kind === 'refuse') {
      const message =
        `Secret ${this.#namespace}/${SIGNING_KEYS_SECRET} is gone and no replica holds the keys it held (kids ${action.kids.join(', ')}); ` +
        `tokens they signed may still be in use. Restore the Secret from a backup, or delete ConfigMap ${this.#namespace}/${KEYS_ISSUED_CONFIGMAP} to issue new keys`;
      if (message !== this.#error)
        this.#events.emit('keys.corrupt', {
          where: `Secret ${this.#namespace}/${SIGNING_KEYS_SECRET}`,
          message,
        });
      this.#error = message;
      return 'waiting';
    }
    const keys = action.kind === 'restore' ? action.keys : await generateSigningKeys();
    if (action.kind === 'generate') await this.#recordIssued(keys);
    try {
      await this.#api.create(CORE_SECRETS, this.#namespace, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: SIGNING_KEYS_SECRET, namespace: this.#namespace, labels: { ...MANAGED_LABELS } },
        type: 'Opaque',
        data: { [KEYS_DATA_KEY]: Buffer.from(encodeKeys(keys)).toString('base64') },
      });
    } catch (err) {
      // Another replica won the race: its keys arrive through the informer.
      if (err instanceof KubeApiError && err.status === 409) return 'done';
      throw err;
    }
    this.#error = undefined;
    this.#secretExists = true;
    if (action.kind === 'generate') this.#events.emit('keys.created', { algorithms: keys.map((k) => k.alg) });
    else this.#events.emit('keys.restored', { where: `Secret ${this.#namespace}/${SIGNING_KEYS_SECRET}` });
    if (this.#keys === undefined) {
      this.#keys = keys;
      this.#onKeys(keys);
    }
    return 'done';
  }
}
