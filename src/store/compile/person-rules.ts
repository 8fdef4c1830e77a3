import type { PersonRuleSpec } from '../../api/person-rule.ts';
import type { DeclaredConnection } from '../objects.ts';
import { secretKey } from '../objects.ts';
import { Reason } from '../reasons.ts';
import type { CompiledConnection, PersonRule } from '../snapshot.ts';
import type { ResolvedPermission } from './api-reach.ts';
import { addScopes, type ScopeSets } from './permissions.ts';
import { describe, resolveRef, type RefSite, type RefTargets } from './resolve-ref.ts';

/** What person rules' Connections resolve against: the declarations, and what each compiled to. */
export interface PersonRuleScope {
  connections: RefTargets<DeclaredConnection>;
  compiledConnections: ReadonlyMap<string, CompiledConnection>;
}

/**
 * A rule naming people (a Role's `subjects[i]`, an Organization's `members[i]`) written at `site`, compiled; or
 * undefined after adding why not: its Connection does not resolve, may not be referenced from the site's
 * namespace, or cannot sign people in (the rule could never match).
 */
export function resolvePersonRule(
  spec: PersonRuleSpec,
  site: RefSite,
  scope: PersonRuleScope,
): PersonRule | undefined {
  if (spec.userId !== undefined) return { userId: spec.userId };
  if (spec.connection === undefined) return undefined;
  const where = `${site.where}.connection`;
  const target = resolveRef(spec.connection, { ...site, where }, scope.connections);
  if (target === undefined) return undefined;
  const key = secretKey(target.metadata.namespace, target.metadata.name);
  if (scope.compiledConnections.get(key)?.signIn === undefined) {
    site.problems.push({
      reason: Reason.ConnectionCannotSignIn,
      message: `${where}: ${describe('Connection', target.metadata.namespace, target.metadata.name)} does not sign people in, so the rule names no one`,
    });
    return undefined;
  }
  return {
    connection: key,
    ...(spec.group === undefined ? {} : { group: spec.group }),
    ...(spec.emailDomain === undefined ? {} : { emailDomain: spec.emailDomain }),
  };
}

/** Resolved permissions as scope sets by API identifier. */
export function scopeSetsOf(permissions: readonly ResolvedPermission[]): ScopeSets {
  const out: ScopeSets = new Map();
  for (const p of permissions) addScopes(out, p);
  return out;
}
