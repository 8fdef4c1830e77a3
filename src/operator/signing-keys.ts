import type { EventBus } from '../events.ts';
import { MANAGED_LABELS } from '../api/labels.ts';
import { decodeKeys, encodeKeys, KEYS_DATA_KEY } from '../keys/codec.ts';
import { generateSigningKeys } from '../keys/generate.ts';
import type { SigningKey } from '../keys/signing-keys.ts';
import { CORE_SECRETS, KubeApiError, type KubeApi, type KubeObject } from '../kube/types.ts';
import { secretDataOf } from './world.ts';

export const SIGNING_KEYS_SECRET = 'latchkey-signing-keys';

/** What the leader does about the key Secret. Pure. */
export type KeysAction =
  | { kind: 'none' }
  /** No Secret and no keys anywhere: the very first start. */
  | { kind: 'generate' }
  /** The Secret is gone but this replica holds the keys: put them back, never new ones. */
  | { kind: 'restore'; keys: SigningKey[] };

export function decideKeys(input: {
  leader: boolean;
  synced: boolean;
  secretExists: boolean;
  inMemory: SigningKey[] | undefined;
}): KeysAction {
  if (!input.leader || !input.synced || input.secretExists) return { kind: 'none' };
  return input.inMemory !== undefined ? { kind: 'restore', keys: input.inMemory } : { kind: 'generate' };
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

  /** As the leader, creates the key Secret when it is missing. */
  async ensure(leader: boolean, synced: boolean): Promise<void> {
    const action = decideKeys({ leader, synced, secretExists: this.#secretExists, inMemory: this.#keys });
    if (action.kind === 'none') return;
    const keys = action.kind === 'restore' ? action.keys : await generateSigningKeys();
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
      if (err instanceof KubeApiError && err.status === 409) return;
      throw err;
    }
    this.#secretExists = true;
    if (action.kind === 'generate') this.#events.emit('keys.created', { algorithms: keys.map((k) => k.alg) });
    else this.#events.emit('keys.restored', { where: `Secret ${this.#namespace}/${SIGNING_KEYS_SECRET}` });
    if (this.#keys === undefined) {
      this.#keys = keys;
      this.#onKeys(keys);
    }
  }
}
