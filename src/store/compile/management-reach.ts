import type { Reach } from '../../management/reach.ts';
import type { WorldInputs } from '../objects.ts';
import { Reason, type Problem } from '../reasons.ts';
import type { ResolvedPermission } from './api-reach.ts';

/**
 * Which namespaces one grant of the management API reaches (issue 14): what the client's manifests could do.
 * A client in the Latchkey namespace reaches every namespace, or the `namespaces` its grant names; any other
 * client its own namespace, which `namespaces` cannot widen (`beyond` lists what it names in vain). Pure.
 */
export function grantReach(
  clientNamespace: string,
  latchkeyNamespace: string,
  namespaces: readonly string[] | undefined,
): { reach: Reach; beyond: string[] } {
  if (clientNamespace === latchkeyNamespace) {
    return {
      reach: namespaces === undefined ? { all: true } : { all: false, namespaces: new Set(namespaces) },
      beyond: [],
    };
  }
  const beyond = (namespaces ?? []).filter((n) => n !== clientNamespace);
  return { reach: { all: false, namespaces: new Set([clientNamespace]) }, beyond };
}

/** Two grants of one scope reach what either does. */
export function unionReach(a: Reach | undefined, b: Reach): Reach {
  if (a === undefined || b.all) return b;
  if (a.all) return a;
  return { all: false, namespaces: new Set([...a.namespaces, ...b.namespaces]) };
}

/** Gathers a client's reach per management scope from its grants and Roles. */
export class ManagementReach {
  readonly #api: WorldInputs['managementApi'];
  readonly #clientNamespace: string;
  readonly #reaches = new Map<string, Reach>();

  constructor(api: WorldInputs['managementApi'], clientNamespace: string) {
    this.#api = api;
    this.#clientNamespace = clientNamespace;
  }

  /**
   * Takes a resolved grant or Role permission, with the `namespaces` a direct grant names (`where` says which,
   * for problems). Permissions of other APIs add nothing, and naming namespaces for them is a problem.
   */
  add(
    g: ResolvedPermission,
    namespaces: readonly string[] | undefined,
    where: string,
    problems: Problem[],
  ): void {
    if (this.#api === undefined || g.api.identifier !== this.#api.identifier) {
      if (namespaces !== undefined) {
        problems.push({
          reason: Reason.NamespacesNotAllowed,
          message: `${where}.namespaces: only a grant of the management API names namespaces; ${g.api.namespace}/${g.api.name} ignores them`,
        });
      }
      return;
    }
    const { reach, beyond } = grantReach(this.#clientNamespace, this.#api.namespace, namespaces);
    if (beyond.length > 0) {
      problems.push({
        reason: Reason.NamespacesNotAllowed,
        message: `${where}.namespaces: only a client in the Latchkey namespace ${this.#api.namespace} reaches other namespaces; ${beyond.join(', ')} ignored`,
      });
    }
    for (const s of g.scopes) this.#reaches.set(s, unionReach(this.#reaches.get(s), reach));
  }

  /** Each management scope's reach; undefined when the client has none. */
  result(): ReadonlyMap<string, Reach> | undefined {
    return this.#reaches.size === 0 ? undefined : this.#reaches;
  }
}
