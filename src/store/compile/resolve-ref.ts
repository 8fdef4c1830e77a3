import type { KindName } from '../../api/kinds.ts';
import { secretKey } from '../objects.ts';
import { Reason, type Problem } from '../reasons.ts';
import { NAMESPACE_NAME_LABEL, selectorMatches, type LabelSelector } from '../selector.ts';

/** A reference as manifests write it: the namespace defaults to the referrer's own. */
export interface Ref {
  name: string;
  namespace?: string | undefined;
}

/** What a reference may point at: an object that says which other namespaces may reference it. */
export interface Referable {
  metadata: { namespace: string };
  spec: { allowedNamespaces?: LabelSelector | undefined };
}

/** Whether `target` lets an object of namespace `fromNs` reference it. */
export type OptIn = (target: Referable, fromNs: string) => boolean;

/**
 * The cross-namespace opt-in under these namespace labels: an object of the target's own namespace always
 * may; another only when the target's `allowedNamespaces` selects its namespace (design.md, rules of the model).
 */
export function namespaceOptIn(namespaces: ReadonlyMap<string, Readonly<Record<string, string>>>): OptIn {
  const labelsOf = (ns: string): Readonly<Record<string, string>> => ({
    ...namespaces.get(ns),
    [NAMESPACE_NAME_LABEL]: ns,
  });
  return (target, fromNs) =>
    target.metadata.namespace === fromNs ||
    (target.spec.allowedNamespaces !== undefined &&
      selectorMatches(target.spec.allowedNamespaces, labelsOf(fromNs)));
}

/** The objects of one kind a reference may resolve to, by `namespace/name`. */
export interface RefTargets<T> {
  kind: KindName;
  get: (key: string) => T | undefined;
  referable: (target: T) => Referable;
  /** Targets that are in the map only when they compiled say so: "not found or not ready". */
  mayBeNotReady: boolean;
}

/** Where a reference is written: the referrer's namespace, the field, and where its problems go. */
export interface RefSite {
  namespace: string;
  where: string;
  optIn: OptIn;
  problems: Problem[];
}

/** `ResourceServer payments/payments-api`: how problems name an object. */
export function describe(kind: string, namespace: string, name: string): string {
  return `${kind} ${namespace}/${name}`;
}

/**
 * The one resolution of a reference, for every kind: the target of that kind and name, or undefined after
 * adding why not to the site's problems: not found (a name of another kind is not found either), or in
 * another namespace whose `allowedNamespaces` does not select the referrer's.
 *
 * @example
 * const role = resolveRef({ name: 'writer', namespace: 'payments' }, site, roleTargets);
 */
export function resolveRef<T>(ref: Ref, site: RefSite, targets: RefTargets<T>): T | undefined {
  const ns = ref.namespace ?? site.namespace;
  const target = targets.get(secretKey(ns, ref.name));
  if (target === undefined) {
    const notFound = targets.mayBeNotReady ? 'not found or not ready' : 'not found';
    site.problems.push({
      reason: Reason.ReferenceNotFound,
      message: `${site.where}: ${describe(targets.kind, ns, ref.name)} ${notFound}`,
    });
    return undefined;
  }
  if (!site.optIn(targets.referable(target), site.namespace)) {
    site.problems.push({
      reason: Reason.ReferenceNotAllowed,
      message: `${site.where}: ${describe(targets.kind, ns, ref.name)} does not allow references from namespace ${site.namespace} (its spec.allowedNamespaces)`,
    });
    return undefined;
  }
  return target;
}
