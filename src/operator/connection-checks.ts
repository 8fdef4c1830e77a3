import { ISSUER_TYPES, type ConnectionTypeName } from '../api/connection.ts';
import type { KubeObject } from '../kube/types.ts';
import { CONNECTION_REFRESH_MS, keepLastGood } from '../connections/check-schedule.ts';
import type { ConnectionCheck, DeclaredConnection, DeclaredObject, InvalidObject } from '../store/objects.ts';
import { objectKey, secretKey } from '../store/objects.ts';

export interface ConnectionChecksDeps {
  /** `connection` names it (`Connection/<namespace>/<name>`) for the log of what the network said. */
  check: (spec: DeclaredConnection['spec'], connection: string) => Promise<ConnectionCheck>;
  /** Told when a check's result differs from the one before, so the store compiles it. */
  changed: () => void;
  /** How often a verified Connection is checked again. */
  refreshMs?: number;
}

/**
 * What the operator found at each Connection's issuer (src/connections/ holds the checks), keyed by
 * `namespace/name`, and the generation each was found for.
 */
export class ConnectionChecks {
  readonly #deps: ConnectionChecksDeps;
  readonly #checks = new Map<string, ConnectionCheck>();
  /** The generation of each Connection when it was last checked. */
  readonly #checkedGeneration = new Map<string, number | undefined>();

  constructor(deps: ConnectionChecksDeps) {
    this.#deps = deps;
  }

  /** The results, as the store compiles them (the live map: a rebuild reads what is known then). */
  get results(): ReadonlyMap<string, ConnectionCheck> {
    return this.#checks;
  }

  has(namespace: string, name: string): boolean {
    return this.#checks.has(secretKey(namespace, name));
  }

  get(namespace: string, name: string): ConnectionCheck | undefined {
    return this.#checks.get(secretKey(namespace, name));
  }

  /** Whether the Connection has an issuer that was never checked, or not since its spec changed. */
  uncheckedOrOutdated(o: KubeObject): boolean {
    const type = (o['spec'] as { type?: unknown } | undefined)?.type;
    if (!ISSUER_TYPES.has(type as ConnectionTypeName)) return false;
    const key = secretKey(o.metadata.namespace ?? '', o.metadata.name);
    return !this.#checks.has(key) || this.#checkedGeneration.get(key) !== o.metadata.generation;
  }

  /**
   * Checks the Connection's issuer and keeps the result (the last good keys survive a failure of the same
   * spec). Returns when to check again: after the refresh interval when it passed, else undefined (the
   * caller's backoff retries a failure).
   */
  async check(o: KubeObject, declared: DeclaredObject | InvalidObject): Promise<number | undefined> {
    if (!('spec' in declared)) return undefined;
    const { namespace, name } = declared.metadata;
    const key = secretKey(namespace, name);
    // `github` and `test` have no issuer: nothing to fetch, and no result that could look verified.
    if (!ISSUER_TYPES.has((declared as DeclaredConnection).spec.type)) {
      this.#checks.delete(key);
      this.#checkedGeneration.delete(key);
      return undefined;
    }
    const fresh = await this.#deps.check(
      (declared as DeclaredConnection).spec,
      objectKey('Connection', namespace, name),
    );
    const before = this.#checks.get(key);
    const sameSpec = this.#checkedGeneration.get(key) === o.metadata.generation;
    const check = keepLastGood(fresh, sameSpec ? before : undefined);
    this.#checks.set(key, check);
    this.#checkedGeneration.set(key, o.metadata.generation);
    if (JSON.stringify(before) !== JSON.stringify(check)) this.#deps.changed();
    return check.ok ? (this.#deps.refreshMs ?? CONNECTION_REFRESH_MS) : undefined;
  }
}
