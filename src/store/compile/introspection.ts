import type { Problem } from '../reasons.ts';
import type { CompiledApis } from './apis.ts';
import { clientTargets, type CompiledClients } from './clients.ts';
import { referencesCondition, resolvedOf, type Resolved } from './conditions.ts';
import { resolveRef, type OptIn } from './resolve-ref.ts';

/**
 * The ResourceServers, now that the clients are known: who may introspect their tokens
 * (`spec.introspection.clients`). The reference follows the usual opt-in, seen from the client: its
 * allowedNamespaces must select the API's namespace, so no team can make another team's client read its
 * tokens, nor enlist it without consent.
 *
 * A fresh API's set of introspectors is filled here. A reused API holds the set it was compiled with: when
 * the clients now give another set, its CompiledApi and every grant naming it are out of date, and the
 * answer is `stale` (the compile starts over, reusing nothing).
 */
export function resolveIntrospection(
  compiled: CompiledApis,
  clients: CompiledClients,
  optIn: OptIn,
  reused: boolean,
): { stale: true } | { stale: false; resolved: Resolved[] } {
  const targets = clientTargets(clients);
  const resolved: Resolved[] = [];
  for (const { rs, problems, introspectors } of compiled.problems) {
    const { namespace } = rs.metadata;
    const refProblems: Problem[] = [];
    const found = !reused && introspectors !== undefined ? introspectors : new Set<string>();
    rs.spec.introspection?.clients.forEach((ref, i) => {
      const site = { namespace, where: `spec.introspection.clients[${i}]`, optIn, problems: refProblems };
      const target = resolveRef(ref, site, targets);
      if (target !== undefined) found.add(target.client.clientId);
    });
    if (introspectors !== undefined && found !== introspectors && !sameSet(found, introspectors)) {
      return { stale: true };
    }
    const more = rs.spec.introspection === undefined ? [] : [referencesCondition(refProblems)];
    resolved.push(resolvedOf(rs, [...problems, ...refProblems], {}, more));
  }
  return { stale: false, resolved };
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
