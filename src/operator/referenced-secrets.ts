import { MANAGED_LABELS } from '../api/labels.ts';
import { CORE_SECRETS, type KubeApi, type KubeObject } from '../kube/types.ts';
import type { SecretData } from '../store/objects.ts';
import { secretKey } from '../store/objects.ts';
import { secretDataOf } from './world.ts';

/** A Secret the informer keeps without its data (see {@link ReferencedSecrets.filter}). */
export const STUB_ANNOTATION = 'latchkey.dev/data-not-cached';

/**
 * The Secrets OAuthClients and Connections name, with their data. The informer keeps every other Secret as a stub, so the
 * cache holds no unrelated credentials; a Secret that became referenced while kept as a stub is read once.
 */
export class ReferencedSecrets {
  readonly #api: Pick<KubeApi, 'get'>;
  /** Told when a Secret was fetched, so the world is built again with it. */
  readonly #fetchedOne: () => void;
  /** Secrets fetched with their data because a client references them while the informer keeps a stub. */
  readonly #fetched = new Map<string, KubeObject>();
  readonly #fetching = new Set<string>();
  /** `namespace/name` of every Secret an OAuthClient or a Connection names, as of the last rebuild. */
  #referenced = new Set<string>();

  constructor(api: Pick<KubeApi, 'get'>, fetchedOne: () => void) {
    this.#api = api;
    this.#fetchedOne = fetchedOne;
  }

  /** The Secret as the informer should keep it: whole when Latchkey's own or referenced, else a stub. */
  filter = (secret: KubeObject): KubeObject => {
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

  /** Which Secrets the filter keeps whole from now on: those the world just compiled references. */
  keep(referenced: Set<string>): void {
    this.#referenced = referenced;
  }

  /**
   * The decoded Secrets among `cached` that `referenced` names. A stub whose data was not fetched for its
   * resourceVersion is left out and fetched; the world is built again when it arrives.
   */
  gather(cached: readonly KubeObject[], referenced: ReadonlySet<string>): Map<string, SecretData> {
    const secrets = new Map<string, SecretData>();
    for (const s of cached) {
      const key = secretKey(s.metadata.namespace ?? '', s.metadata.name);
      if (!referenced.has(key)) continue;
      let full = s;
      if (s.metadata.annotations?.[STUB_ANNOTATION] !== undefined) {
        const fetched = this.#fetched.get(key);
        if (fetched === undefined || fetched.metadata.resourceVersion !== s.metadata.resourceVersion) {
          void this.#fetch(s.metadata.namespace ?? '', s.metadata.name);
          continue;
        }
        full = fetched;
      }
      secrets.set(key, secretDataOf(full));
    }
    return secrets;
  }

  async #fetch(namespace: string, name: string): Promise<void> {
    const key = secretKey(namespace, name);
    if (this.#fetching.has(key)) return;
    this.#fetching.add(key);
    try {
      const full = await this.#api.get<KubeObject>(CORE_SECRETS, namespace, name);
      if (full) this.#fetched.set(key, full);
      this.#fetchedOne();
    } catch {
      // The next watch event or rebuild tries again.
    } finally {
      this.#fetching.delete(key);
    }
  }
}
